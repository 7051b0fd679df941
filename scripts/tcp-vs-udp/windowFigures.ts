// Figures over one measurement window, from what the page keeps: the probes' send times
// and round trips, and the cumulative video counters read at the window's two ends.
import type { VideoCounters } from '../../client/call/subscriber.js';
import { PROBE_DEADLINE_MS, rttPercentiles, type ProbeSample } from '../../client/call/stats/probes.js';
import type { ProbeFigures, VideoFigures } from './results.js';

/**
 * How much later than the window's median a probe must come back to count as late: a TCP
 * retransmission costs at least a round trip more (fast retransmit) and usually Linux's
 * 200 ms minimum RTO; jitter on these links stays well under it.
 */
export const LATE_AFTER_MS = 80;

/**
 * The probes sent in [from, to) on the page's clock. Read them at least the deadline after
 * `to`, so every probe of the window has had its chance to come back.
 */
export function probeFigures(samples: readonly ProbeSample[], from: number, to: number, deadlineMs = PROBE_DEADLINE_MS): ProbeFigures {
  const rtts: number[] = [];
  let sent = 0;
  for (const { sentAt, rttMs } of samples) {
    if (sentAt < from || sentAt >= to) continue;
    sent++;
    if (rttMs !== undefined && rttMs <= deadlineMs) rtts.push(rttMs);
  }
  const out: ProbeFigures = { sent, delivered: rtts.length, ...rttPercentiles(rtts) };
  if (out.p50Ms !== undefined) {
    const median = out.p50Ms;
    out.late = rtts.filter((rtt) => rtt > median + LATE_AFTER_MS).length;
  }
  if (sent > 0) out.deliveryRatio = rtts.length / sent;
  return out;
}

/** Received video between two readings of the counters taken `seconds` apart. */
export function videoFigures(start: VideoCounters | undefined, end: VideoCounters | undefined, seconds: number): VideoFigures {
  if (!start || !end || seconds <= 0) return {};
  const d = (key: keyof VideoCounters): number => Math.max(0, end[key] - start[key]);
  const out: VideoFigures = {
    fps: d('framesDecoded') / seconds,
    freezeCount: d('freezeCount'),
    freezeSeconds: d('totalFreezesDuration'),
    nackCount: d('nackCount'),
  };
  const emitted = d('jitterBufferEmittedCount');
  if (emitted > 0) out.jitterBufferMs = (d('jitterBufferDelay') / emitted) * 1000;
  const expected = d('packetsReceived') + d('packetsLost');
  if (expected > 0) out.lossPercent = (d('packetsLost') / expected) * 100;
  return out;
}
