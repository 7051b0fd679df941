// Per-interval figures of each RTP stream of one peer connection: what arrives
// (inbound-rtp) and what is sent (outbound-rtp with the receiver's remote-inbound-rtp
// report about it). Rates and loss come from counter deltas between two snapshots, so
// the first snapshot of a stream, or one after its counters restarted, has none.
import type { MediaKind } from '../../../signaling/protocol.js';
import { comparable, delta, millis, num, text, withoutUndefined, type StatsEntry, type StatsSnapshot } from './entries.js';

export interface StreamFigures {
  direction: 'inbound' | 'outbound';
  kind: MediaKind;
  ssrc?: number;
  /** The transceiver's mid: says whose stream an inbound one is. */
  mid?: string;
  /** The receiving track's id (inbound), a second way to find the stream's owner. */
  trackIdentifier?: string;
  /** Payload bitrate over the interval, kbps. */
  bitrateKbps?: number;
  /**
   * Packets lost over the interval, percent. Inbound: Δlost / (Δlost + Δreceived).
   * Outbound: Δlost reported by the receiver / Δsent.
   */
  lossPercent?: number;
  /** Outbound: the receiver's own loss figure for its last report interval (fractionLost), percent. */
  fractionLostPercent?: number;
  /** Cumulative packets lost (for outbound: as the receiver reports). */
  packetsLost?: number;
  /** Interarrival jitter, ms (for outbound: as the receiver reports). */
  jitterMs?: number;
  /** Inbound: average time a sample spent in the jitter buffer during the interval, ms. */
  jitterBufferMs?: number;
  /** Outbound: round trip from RTCP sender/receiver reports (remote-inbound-rtp), ms. */
  rttMs?: number;
  /** Video: frames per second decoded (inbound) or encoded (outbound). */
  fps?: number;
  width?: number;
  height?: number;
  /** Inbound video: freezes since the stream started. */
  freezeCount?: number;
  /** Inbound video: freezes that ended during the interval (ΔfreezeCount). */
  newFreezes?: number;
  /** Inbound video: time spent frozen during the interval (ΔtotalFreezesDuration), ms. */
  frozenMs?: number;
  /** Retransmission requests sent (inbound) or received (outbound) since the stream started. */
  nackCount?: number;
  /** Keyframe requests sent (inbound) or received (outbound) since the stream started. */
  pliCount?: number;
  /** The codec's MIME type, e.g. video/VP8. */
  codec?: string;
  /** Outbound: why the encoder sends less than it could (cpu, bandwidth), if it does. */
  qualityLimitation?: string;
}

/** Counters that only grow while a stream lives; one going down means a new stream. */
const INBOUND_COUNTERS = ['packetsReceived', 'bytesReceived', 'framesDecoded', 'jitterBufferEmittedCount'] as const;
const OUTBOUND_COUNTERS = ['packetsSent', 'bytesSent', 'framesEncoded'] as const;

/** Figures of every RTP stream in `current`, compared with the same streams in `previous`. */
export function rtpStreamFigures(previous: StatsSnapshot | undefined, current: StatsSnapshot): StreamFigures[] {
  const out: StreamFigures[] = [];
  for (const entry of current.ofType('inbound-rtp')) {
    const figures = inboundFigures(previous, current, entry);
    if (figures) out.push(figures);
  }
  for (const entry of current.ofType('outbound-rtp')) {
    const figures = outboundFigures(previous, current, entry);
    if (figures) out.push(figures);
  }
  return out;
}

function inboundFigures(previous: StatsSnapshot | undefined, current: StatsSnapshot, entry: StatsEntry): StreamFigures | undefined {
  const kind = mediaKind(entry);
  if (!kind) return undefined;
  const before = comparable(previous?.get(entry.id), entry, INBOUND_COUNTERS);
  const seconds = before ? (entry.timestamp - before.timestamp) / 1000 : undefined;
  return withoutUndefined<StreamFigures>({
    direction: 'inbound',
    kind,
    ssrc: num(entry, 'ssrc'),
    mid: text(entry, 'mid'),
    trackIdentifier: text(entry, 'trackIdentifier'),
    bitrateKbps: before && seconds ? rate(delta(before, entry, 'bytesReceived'), seconds, 8 / 1000) : undefined,
    lossPercent: before ? inboundLoss(before, entry) : undefined,
    packetsLost: num(entry, 'packetsLost'),
    jitterMs: millis(entry, 'jitter'),
    jitterBufferMs: jitterBufferDelay(before, entry),
    fps: kind === 'video' ? (num(entry, 'framesPerSecond') ?? (before && seconds ? rate(delta(before, entry, 'framesDecoded'), seconds) : undefined)) : undefined,
    width: num(entry, 'frameWidth'),
    height: num(entry, 'frameHeight'),
    freezeCount: num(entry, 'freezeCount'),
    newFreezes: kind === 'video' && before ? delta(before, entry, 'freezeCount') : undefined,
    frozenMs: kind === 'video' && before ? scaled(delta(before, entry, 'totalFreezesDuration'), 1000) : undefined,
    nackCount: num(entry, 'nackCount'),
    pliCount: num(entry, 'pliCount'),
    codec: text(current.get(entry.codecId), 'mimeType'),
  });
}

function outboundFigures(previous: StatsSnapshot | undefined, current: StatsSnapshot, entry: StatsEntry): StreamFigures | undefined {
  const kind = mediaKind(entry);
  if (!kind) return undefined;
  const before = comparable(previous?.get(entry.id), entry, OUTBOUND_COUNTERS);
  const seconds = before ? (entry.timestamp - before.timestamp) / 1000 : undefined;
  const report = remoteInbound(current, entry);
  const reportBefore = before && previous ? remoteInbound(previous, before) : undefined;
  const fractionLost = num(report, 'fractionLost');
  const limitation = text(entry, 'qualityLimitationReason');
  return withoutUndefined<StreamFigures>({
    direction: 'outbound',
    kind,
    ssrc: num(entry, 'ssrc'),
    mid: text(entry, 'mid'),
    bitrateKbps: before && seconds ? rate(delta(before, entry, 'bytesSent'), seconds, 8 / 1000) : undefined,
    lossPercent: before ? outboundLoss(before, entry, reportBefore, report) : undefined,
    fractionLostPercent: fractionLost === undefined ? undefined : clampPercent(fractionLost * 100),
    packetsLost: num(report, 'packetsLost'),
    jitterMs: millis(report, 'jitter'),
    rttMs: millis(report, 'roundTripTime'),
    fps: kind === 'video' ? (num(entry, 'framesPerSecond') ?? (before && seconds ? rate(delta(before, entry, 'framesEncoded'), seconds) : undefined)) : undefined,
    width: num(entry, 'frameWidth'),
    height: num(entry, 'frameHeight'),
    nackCount: num(entry, 'nackCount'),
    pliCount: num(entry, 'pliCount'),
    codec: text(current.get(entry.codecId), 'mimeType'),
    qualityLimitation: limitation && limitation !== 'none' ? limitation : undefined,
  });
}

/** The receiver's report about an outbound stream: linked by id either way, else by SSRC. */
function remoteInbound(snapshot: StatsSnapshot, outbound: StatsEntry): StatsEntry | undefined {
  const linked = snapshot.get(outbound.remoteId);
  if (linked?.type === 'remote-inbound-rtp') return linked;
  const reports = snapshot.ofType('remote-inbound-rtp');
  return reports.find((r) => r.localId === outbound.id) ?? reports.find((r) => r.ssrc !== undefined && r.ssrc === outbound.ssrc && r.kind === outbound.kind);
}

/** Δlost / (Δlost + Δreceived). Cumulative loss may go down (duplicates): that counts as none lost. */
function inboundLoss(before: StatsEntry, entry: StatsEntry): number | undefined {
  const received = delta(before, entry, 'packetsReceived');
  const lostBefore = num(before, 'packetsLost');
  const lostNow = num(entry, 'packetsLost');
  if (received === undefined || lostBefore === undefined || lostNow === undefined) return undefined;
  const lost = Math.max(0, lostNow - lostBefore);
  return lost + received > 0 ? (lost / (lost + received)) * 100 : undefined;
}

/** Δlost (from the receiver's reports) / Δsent; needs a report in both snapshots. */
function outboundLoss(before: StatsEntry, entry: StatsEntry, reportBefore: StatsEntry | undefined, report: StatsEntry | undefined): number | undefined {
  const sent = delta(before, entry, 'packetsSent');
  const lostBefore = num(reportBefore, 'packetsLost');
  const lostNow = num(report, 'packetsLost');
  if (!sent || lostBefore === undefined || lostNow === undefined) return undefined;
  return clampPercent((Math.max(0, lostNow - lostBefore) / sent) * 100);
}

/**
 * Average jitter-buffer delay of the samples emitted during the interval; for a stream's
 * first snapshot, the average since it started.
 */
function jitterBufferDelay(before: StatsEntry | undefined, entry: StatsEntry): number | undefined {
  const delay = before ? delta(before, entry, 'jitterBufferDelay') : num(entry, 'jitterBufferDelay');
  const emitted = before ? delta(before, entry, 'jitterBufferEmittedCount') : num(entry, 'jitterBufferEmittedCount');
  return delay === undefined || !emitted ? undefined : (delay / emitted) * 1000;
}

function scaled(value: number | undefined, factor: number): number | undefined {
  return value === undefined ? undefined : value * factor;
}

function rate(amount: number | undefined, seconds: number, scale = 1): number | undefined {
  return amount === undefined || !(seconds > 0) ? undefined : (amount * scale) / seconds;
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, value));
}

function mediaKind(entry: StatsEntry): MediaKind | undefined {
  const kind = entry.kind ?? entry.mediaType;
  return kind === 'audio' || kind === 'video' ? kind : undefined;
}
