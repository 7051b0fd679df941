// Readers for what the server sends: each turns an unknown JSON value into a typed one,
// or undefined when a field the client relies on is missing or of the wrong type.
import type { ChatMessage, IceServer, ImpairmentSettings, JoinResult, MediaKind, ParticipantInfo, ServerStreamStats, TrackMapping, TrackSource } from '../../signaling/protocol.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKind(value: unknown): value is MediaKind {
  return value === 'audio' || value === 'video';
}

export function readParticipant(value: unknown): ParticipantInfo | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.name !== 'string') return undefined;
  const publishing = Array.isArray(value.publishing) ? value.publishing.filter(isKind) : [];
  const muted = isRecord(value.muted) ? value.muted : {};
  return { id: value.id, name: value.name, publishing, muted: { audio: muted.audio === true, video: muted.video === true }, screen: value.screen === true };
}

export function readTrackMapping(value: unknown): TrackMapping | undefined {
  if (!isRecord(value) || typeof value.mid !== 'string' || typeof value.participantId !== 'string' || !isKind(value.kind)) {
    return undefined;
  }
  // A server from before screen sharing sends no source: its tracks are the microphone and camera.
  const source: TrackSource = value.source === 'screen' && value.kind === 'video' ? 'screen' : value.kind === 'audio' ? 'microphone' : 'camera';
  return { mid: value.mid, participantId: value.participantId, kind: value.kind, source };
}

function readIceServer(value: unknown): IceServer | undefined {
  if (!isRecord(value)) return undefined;
  const urls = typeof value.urls === 'string' ? [value.urls] : Array.isArray(value.urls) ? value.urls.filter((u) => typeof u === 'string') : [];
  if (urls.length === 0) return undefined;
  return {
    urls,
    ...(typeof value.username === 'string' ? { username: value.username } : {}),
    ...(typeof value.credential === 'string' ? { credential: value.credential } : {}),
  };
}

export function readJoinResult(value: unknown): JoinResult | undefined {
  if (!isRecord(value) || typeof value.participantId !== 'string' || !Array.isArray(value.participants)) return undefined;
  const grants = isRecord(value.grants) ? value.grants : {};
  return {
    protocol: typeof value.protocol === 'number' ? value.protocol : 0,
    participantId: value.participantId,
    name: typeof value.name === 'string' ? value.name : '',
    room: typeof value.room === 'string' ? value.room : '',
    participants: value.participants.map(readParticipant).filter((p) => p !== undefined),
    iceServers: Array.isArray(value.iceServers) ? value.iceServers.map(readIceServer).filter((s) => s !== undefined) : [],
    // A missing grant is read as granted: the server enforces grants, the client only skips work.
    grants: { publish: grants.publish !== false, subscribe: grants.subscribe !== false, admin: grants.admin === true },
    heartbeatMs: typeof value.heartbeatMs === 'number' && value.heartbeatMs > 0 ? value.heartbeatMs : 0,
    impairment: readImpairment(value.impairment) ?? null,
    resumeToken: typeof value.resumeToken === 'string' ? value.resumeToken : '',
    resumed: value.resumed === true,
    media: readMediaCapabilities(value.media),
    chat: Array.isArray(value.chat) ? value.chat.map(readChatMessage).filter((m) => m !== undefined) : [],
  };
}

/** A chat message as the server stamped it; its text is shown as text, never as markup. */
export function readChatMessage(value: unknown): ChatMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, participantId, name, text, at } = value;
  if (typeof id !== 'string' || typeof participantId !== 'string' || typeof name !== 'string' || typeof text !== 'string' || typeof at !== 'number') return undefined;
  return { id, participantId, name, text, at };
}

function readMediaCapabilities(value: unknown): JoinResult['media'] {
  const media = isRecord(value) ? value : {};
  return { engine: media.engine === 'mediasoup' ? 'mediasoup' : 'werift', simulcast: media.simulcast === true };
}

/** The SFU's answer to a `publish` request. */
export function readPublishResult(value: unknown): { sdp: string } | undefined {
  return isRecord(value) && typeof value.sdp === 'string' ? { sdp: value.sdp } : undefined;
}

/** The room's impairment: null when off, undefined when unreadable. */
export function readImpairment(value: unknown): ImpairmentSettings | null | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const { lossPercent, delayMs, jitterMs, kind, subscriberId } = value;
  if (typeof lossPercent !== 'number' || typeof delayMs !== 'number' || typeof jitterMs !== 'number') return undefined;
  if (kind !== 'all' && !isKind(kind)) return undefined;
  return { lossPercent, delayMs, jitterMs, kind, ...(typeof subscriberId === 'string' ? { subscriberId } : {}) };
}

/** A measured figure: a finite number, or null for "not measured". */
function readFigure(value: unknown): number | null | undefined {
  if (value === null) return null;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function readServerStream(value: unknown): ServerStreamStats | undefined {
  if (!isRecord(value)) return undefined;
  const { direction, participantId, kind, packets, impairmentDropped } = value;
  if ((direction !== 'inbound' && direction !== 'outbound') || typeof participantId !== 'string' || !isKind(kind)) return undefined;
  const lossPercent = readFigure(value.lossPercent);
  const jitterMs = readFigure(value.jitterMs);
  const rttMs = readFigure(value.rttMs);
  if (lossPercent === undefined || jitterMs === undefined || rttMs === undefined) return undefined;
  return {
    direction,
    participantId,
    kind,
    packets: typeof packets === 'number' ? packets : 0,
    lossPercent,
    jitterMs,
    rttMs,
    impairmentDropped: typeof impairmentDropped === 'number' ? impairmentDropped : 0,
  };
}

/** The SFU's `media-stats` event: its measurements of this participant's streams. */
export function readMediaStats(value: unknown): { at: number; streams: ServerStreamStats[] } | undefined {
  if (!isRecord(value) || typeof value.at !== 'number' || !Array.isArray(value.streams)) return undefined;
  const streams = value.streams.map(readServerStream);
  if (!streams.every((s) => s !== undefined)) return undefined;
  return { at: value.at, streams: streams as ServerStreamStats[] };
}
