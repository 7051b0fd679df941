// mediasoup's per-stream stats (read from the worker each stats interval) turned into
// what the page and /metrics show: ServerStreamStats over the interval, and the SFU totals
// advanced by what the worker counted since the previous read. The worker forwards
// packets without Node seeing them, so these counters are how Node learns of them.

import type { ConsumerStat, MediaKind, ProducerStat } from 'mediasoup/types';
import type { ServerStreamStats } from '../../signaling/protocol.js';
import type { SfuTotals } from '../sfu/totals.js';

export type StatsSink = SfuTotals;

interface Cumulative {
  packets: number;
  bytes: number;
  lost: number;
  nacks: number;
  keyframeRequests: number;
}

const none = (): Cumulative => ({ packets: 0, bytes: 0, lost: 0, nacks: 0, keyframeRequests: 0 });

/** One stream's counters as of the previous read, to take differences from. */
export class StreamCounters {
  private last: Cumulative = none();

  /** What the SFU receives from a publisher: the sum over its encodings (simulcast layers). */
  inbound(participantId: string, kind: MediaKind, stats: ProducerStat[], clockRate: number, totals: StatsSink): ServerStreamStats {
    const now = none();
    let jitter = 0;
    for (const s of stats) {
      if (s.type !== 'inbound-rtp') continue;
      now.packets += s.packetCount;
      now.bytes += s.byteCount;
      now.lost += Math.max(0, s.packetsLost);
      // Sent by the SFU to the publisher (the worker's PLIs/FIRs).
      now.keyframeRequests += s.pliCount + s.firCount;
      jitter = Math.max(jitter, s.jitter);
    }
    const d = this.advance(now);
    const k = totals.byKind[kind];
    k.packetsIn += d.packets;
    k.bytesIn += d.bytes;
    totals.plisSent += d.keyframeRequests;
    const expected = d.packets + d.lost;
    return {
      direction: 'inbound',
      participantId,
      kind,
      packets: now.packets,
      lossPercent: expected > 0 ? (d.lost / expected) * 100 : null,
      // The worker keeps RFC 3550 jitter in RTP timestamp units.
      jitterMs: (jitter / clockRate) * 1000,
      rttMs: null,
      impairmentDropped: 0,
    };
  }

  /** What the SFU sends to a subscriber, as its receiver reports describe it. */
  outbound(publisherId: string, kind: MediaKind, stats: (ConsumerStat | ProducerStat)[], clockRate: number, totals: StatsSink): ServerStreamStats {
    const sent = stats.find((s) => s.type === 'outbound-rtp');
    if (!sent) {
      return { direction: 'outbound', participantId: publisherId, kind, packets: this.last.packets, lossPercent: null, jitterMs: null, rttMs: null, impairmentDropped: 0 };
    }
    const now: Cumulative = {
      packets: sent.packetCount,
      bytes: sent.byteCount,
      lost: Math.max(0, sent.packetsLost),
      nacks: sent.nackCount,
      keyframeRequests: sent.pliCount + sent.firCount,
    };
    const d = this.advance(now);
    const k = totals.byKind[kind];
    k.packetsForwarded += d.packets;
    k.bytesForwarded += d.bytes;
    totals.nacksReceived += d.nacks;
    totals.keyframeRequestsReceived += d.keyframeRequests;
    return {
      direction: 'outbound',
      participantId: publisherId,
      kind,
      packets: now.packets,
      lossPercent: d.packets > 0 ? (Math.min(d.lost, d.packets) / d.packets) * 100 : null,
      jitterMs: sent.jitter > 0 ? (sent.jitter / clockRate) * 1000 : null,
      rttMs: sent.roundTripTime !== undefined && sent.roundTripTime > 0 ? sent.roundTripTime : null,
      impairmentDropped: 0,
    };
  }

  /** Differences since the previous read; a counter that went back (a new stream) starts over. */
  private advance(now: Cumulative): Cumulative {
    const last = this.last;
    this.last = now;
    const diff = (a: number, b: number): number => (a >= b ? a - b : a);
    return {
      packets: diff(now.packets, last.packets),
      bytes: diff(now.bytes, last.bytes),
      lost: diff(now.lost, last.lost),
      nacks: diff(now.nacks, last.nacks),
      keyframeRequests: diff(now.keyframeRequests, last.keyframeRequests),
    };
  }
}
