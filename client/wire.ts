// Readers for what the server sends: each turns an unknown JSON value into a typed one,
// or undefined when a field the client relies on is missing or of the wrong type.
import type { IceServer, ImpairmentSettings, JoinResult, MediaKind, ParticipantInfo, TrackMapping } from '../signaling/protocol.js';

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
  return { id: value.id, name: value.name, publishing, muted: { audio: muted.audio === true, video: muted.video === true } };
}

export function readTrackMapping(value: unknown): TrackMapping | undefined {
  if (!isRecord(value) || typeof value.mid !== 'string' || typeof value.participantId !== 'string' || !isKind(value.kind)) {
    return undefined;
  }
  return { mid: value.mid, participantId: value.participantId, kind: value.kind };
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
    impairment: readImpairment(value.impairment),
  };
}

/** The SFU's answer to a `publish` request. */
export function readPublishResult(value: unknown): { sdp: string } | undefined {
  return isRecord(value) && typeof value.sdp === 'string' ? { sdp: value.sdp } : undefined;
}

/** The room's impairment as the server describes it; anything unreadable is "off". */
export function readImpairment(value: unknown): ImpairmentSettings | null {
  if (!isRecord(value)) return null;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const kind = value.kind === 'audio' || value.kind === 'video' ? value.kind : 'all';
  return {
    lossPercent: num(value.lossPercent),
    delayMs: num(value.delayMs),
    jitterMs: num(value.jitterMs),
    kind,
    ...(typeof value.subscriberId === 'string' ? { subscriberId: value.subscriberId } : {}),
  };
}
