// From two peer connections' figures to what the call shows: this page's uplink (the
// publisher connection's outbound streams) and, per remote participant, the inbound
// streams of the subscriber connection whose mid carries that participant's tracks.
import type { MediaKind, ServerStreamStats } from '../../../signaling/protocol.js';
import { StatsSnapshot, withoutUndefined, type StatsEntry } from './entries.js';
import { classifyQuality, worst, type Quality, type QualityInputs } from './quality.js';
import { rtpStreamFigures, type StreamFigures } from './rtpStreams.js';
import { transportDown, transportFigures, type TransportFigures } from './transport.js';

/** Everything measured on one peer connection at one moment. */
export interface ConnectionFigures {
  transport?: TransportFigures;
  streams: StreamFigures[];
}

/** One direction of media, summarised: this page's uplink, or what arrives from one participant. */
export interface LinkQuality {
  quality: Quality;
  /**
   * What the badge judges: the worse loss of audio and video, the audio jitter (video's
   * only without audio) and the path's round trip; for received media also the worse
   * jitter-buffer delay, the video's freezes in the interval and its frame rate; for the
   * uplink the frame rate it encodes. Frame rates only while that video is on.
   */
  lossPercent?: number;
  jitterMs?: number;
  rttMs?: number;
  jitterBufferMs?: number;
  freezes?: number;
  fps?: number;
  /** The path is down (ICE disconnected or failed): the badge says "Reconnecting". */
  down?: boolean;
  audio?: StreamFigures;
  video?: StreamFigures;
  transport?: TransportFigures;
}

export interface RemoteQuality extends LinkQuality {
  participantId: string;
}

/** One round of measurements of the whole call. */
export interface QualityReport {
  /** Wall-clock time of the measurement, ms since the epoch. */
  at: number;
  /** Undefined while this page sends nothing. */
  uplink?: LinkQuality;
  remotes: RemoteQuality[];
  /** The server's latest `media-stats` streams for this participant. */
  server: ServerStreamStats[];
}

/** Which participant sends the stream on each subscriber transceiver (by mid) or track (by id). */
export interface StreamOwners {
  byMid: ReadonlyMap<string, string>;
  byTrackId?: ReadonlyMap<string, string>;
}

/** Figures of one connection's `current` snapshot, with rates since `previous` (undefined at first). */
export function connectionFigures(previous: readonly StatsEntry[] | undefined, current: readonly StatsEntry[]): ConnectionFigures {
  const snapshot = new StatsSnapshot(current);
  return withoutUndefined<ConnectionFigures>({
    transport: transportFigures(snapshot),
    streams: rtpStreamFigures(previous && new StatsSnapshot(previous), snapshot),
  });
}

/** Whose video is off (muted, or not sent at all): a frame rate says nothing then. */
export interface VideoOff {
  uplink: boolean;
  remotes: ReadonlySet<string>;
}

const NO_VIDEO_OFF: VideoOff = { uplink: false, remotes: new Set() };

/**
 * The publisher connection's outbound streams: the frame rate this page encodes, the path's
 * round trip, and what the SFU reports receiving (loss, jitter). A screen share's stream
 * (`screenMid`) is left out: its few frames a second say nothing of the camera's uplink.
 */
export function uplinkQuality(figures: ConnectionFigures, videoOff = false, screenMid?: string): LinkQuality | undefined {
  const streams = figures.streams.filter((s) => s.direction === 'outbound' && (screenMid === undefined || s.mid !== screenMid));
  if (streams.length === 0) return undefined;
  const audio = pick(streams, 'audio');
  const video = pick(streams, 'video');
  // fractionLost covers exactly one receiver-report interval; the counter delta only
  // lines up with ours when a report arrived in this interval.
  const lossOf = (s: StreamFigures | undefined): number | undefined => s?.fractionLostPercent ?? s?.lossPercent;
  return summarise(audio, video, figures.transport, {
    lossPercent: worst(lossOf(audio), lossOf(video)),
    jitterMs: networkJitter(audio, video),
    rttMs: figures.transport?.rttMs ?? worst(audio?.rttMs, video?.rttMs),
    fps: videoOff ? undefined : video?.fps,
  });
}

/** The subscriber connection's inbound streams grouped by the participant who sends them. */
export function remoteQualities(figures: ConnectionFigures, owners: StreamOwners, videoOff: ReadonlySet<string> = new Set()): RemoteQuality[] {
  const byParticipant = new Map<string, StreamFigures[]>();
  for (const stream of figures.streams) {
    if (stream.direction !== 'inbound') continue;
    const owner = (stream.mid !== undefined ? owners.byMid.get(stream.mid) : undefined) ??
      (stream.trackIdentifier !== undefined ? owners.byTrackId?.get(stream.trackIdentifier) : undefined);
    if (owner === undefined) continue;
    byParticipant.set(owner, [...(byParticipant.get(owner) ?? []), stream]);
  }
  return [...byParticipant].map(([participantId, streams]) => {
    const audio = pick(streams, 'audio');
    const video = pick(streams, 'video');
    const link = summarise(audio, video, figures.transport, {
      lossPercent: worst(audio?.lossPercent, video?.lossPercent),
      jitterMs: networkJitter(audio, video),
      rttMs: figures.transport?.rttMs,
      jitterBufferMs: worst(audio?.jitterBufferMs, video?.jitterBufferMs),
      freezes: video?.newFreezes,
      fps: videoOff.has(participantId) ? undefined : video?.fps,
    });
    return { participantId, ...link };
  });
}

export function buildQualityReport(input: {
  at: number;
  publisher?: ConnectionFigures;
  subscriber?: ConnectionFigures;
  owners: StreamOwners;
  server: readonly ServerStreamStats[];
  videoOff?: VideoOff;
  /** The screen share's m-line on the publisher connection: left out of the uplink's verdict. */
  screenMid?: string;
}): QualityReport {
  const videoOff = input.videoOff ?? NO_VIDEO_OFF;
  return withoutUndefined<QualityReport>({
    at: input.at,
    uplink: input.publisher && uplinkQuality(input.publisher, videoOff.uplink, input.screenMid),
    remotes: input.subscriber ? remoteQualities(input.subscriber, input.owners, videoOff.remotes) : [],
    server: [...input.server],
  });
}

/** The server's figures for one stream kind. */
export interface ServerFigures {
  lossPercent?: number;
  jitterMs?: number;
  rttMs?: number;
  packets: number;
  impairmentDropped: number;
}

/**
 * What the server sees of one link: for the uplink its inbound streams (what it receives
 * from this page), for a remote participant its outbound streams of that participant's
 * tracks to this page.
 */
export function serverFigures(streams: readonly ServerStreamStats[], link: 'uplink' | { participantId: string }): Partial<Record<MediaKind, ServerFigures>> {
  const out: Partial<Record<MediaKind, ServerFigures>> = {};
  for (const s of streams) {
    const matches = link === 'uplink' ? s.direction === 'inbound' : s.direction === 'outbound' && s.participantId === link.participantId;
    if (!matches) continue;
    out[s.kind] = withoutUndefined<ServerFigures>({
      lossPercent: s.lossPercent ?? undefined,
      jitterMs: s.jitterMs ?? undefined,
      rttMs: s.rttMs ?? undefined,
      packets: s.packets,
      impairmentDropped: s.impairmentDropped,
    });
  }
  return out;
}

function summarise(
  audio: StreamFigures | undefined,
  video: StreamFigures | undefined,
  transport: TransportFigures | undefined,
  judged: Omit<QualityInputs, 'down'>,
): LinkQuality {
  const down = transportDown(transport) || undefined;
  const inputs = withoutUndefined<QualityInputs>({ ...judged, down });
  return withoutUndefined<LinkQuality>({ quality: classifyQuality(inputs), ...inputs, audio, video, transport });
}

/**
 * Jitter that says something about the network. Audio packets leave at a steady pace,
 * one per timestamp; a video frame's packets share one timestamp and leave in a paced
 * burst, so video jitter reads 20-40 ms even on loopback.
 */
function networkJitter(audio: StreamFigures | undefined, video: StreamFigures | undefined): number | undefined {
  return audio?.jitterMs ?? video?.jitterMs;
}

/** The stream of `kind` to show when there are several (a renegotiation's leftover): the busiest. */
function pick(streams: readonly StreamFigures[], kind: MediaKind): StreamFigures | undefined {
  const candidates = streams.filter((s) => s.kind === kind);
  return candidates.reduce<StreamFigures | undefined>((best, s) => (!best || (s.bitrateKbps ?? -1) > (best.bitrateKbps ?? -1) ? s : best), undefined);
}
