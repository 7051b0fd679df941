// What one participant's data channels may cost the node (PROTOCOL.md, "Media limits"):
// a few SCTP streams, messages of at most DATA_MESSAGE_MAX_BYTES, and a byte rate with a
// burst (a token bucket). What breaks a bound is dropped and counted; a participant that
// keeps at it (DATA_ABUSE_DROPS drops within 10 s) is reported once as abusive, and its
// media is closed (close 4015). Without a bound, 300 messages of 60 KB cost werift's SCTP
// about 31 s of CPU, and a 120 MB burst kept /healthz from answering.
import type { MediaLimits } from '../config.js';
import { PROBE_CHANNELS } from '../../signaling/probeChannels.js';

export type DataDropReason = 'size' | 'rate' | 'stream';

/** Counts for metrics, shared by every participant of the engine. */
export interface DataTotals {
  dropped: Record<DataDropReason, number>;
  droppedBytes: number;
  abusers: number;
}

export function newDataTotals(): DataTotals {
  return { dropped: { size: 0, rate: 0, stream: 0 }, droppedBytes: 0, abusers: 0 };
}

export type DataLimits = Pick<MediaLimits, 'dataChannelsPerParticipant' | 'dataMessageMaxBytes' | 'dataRateBytesPerSecond' | 'dataBurstBytes' | 'dataAbuseDrops'>;

export const DEFAULT_DATA_LIMITS: DataLimits = {
  dataChannelsPerParticipant: 4,
  dataMessageMaxBytes: 16_384,
  dataRateBytesPerSecond: 65_536,
  dataBurstBytes: 262_144,
  dataAbuseDrops: 16,
};

const ABUSE_WINDOW_MS = 10_000;

export class DataBudget {
  private tokens: number;
  private tokensAt: number;
  private readonly streams = new Set<number>(PROBE_CHANNELS.map((c) => c.streamId));
  private drops: number[] = [];
  private reported = false;

  constructor(
    private readonly limits: DataLimits,
    private readonly totals: DataTotals,
    private readonly onAbuse: (reason: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.dataBurstBytes;
    this.tokensAt = now();
  }

  /** Whether data on this SCTP stream is accepted: the probe streams, and the first few others up to the channel limit. */
  admitStream(streamId: number): boolean {
    if (this.streams.has(streamId)) return true;
    if (this.streams.size < this.limits.dataChannelsPerParticipant) {
      this.streams.add(streamId);
      return true;
    }
    return this.drop('stream', 0);
  }

  /** Whether a message (or the part of it received so far) of `messageBytes` fits. */
  admitSize(messageBytes: number, bytes: number): boolean {
    return messageBytes <= this.limits.dataMessageMaxBytes || this.drop('size', bytes);
  }

  /** Takes `bytes` from the rate budget; false (counted as a drop) when they are not there. */
  admitBytes(bytes: number): boolean {
    const now = this.now();
    this.tokens = Math.min(this.limits.dataBurstBytes, this.tokens + ((now - this.tokensAt) / 1000) * this.limits.dataRateBytesPerSecond);
    this.tokensAt = now;
    if (this.tokens < bytes) return this.drop('rate', bytes);
    this.tokens -= bytes;
    return true;
  }

  /** Bytes that already went through (mediasoup's worker forwards before Node hears of them): over the rate they count as drops. */
  charge(bytes: number, chunkBytes: number): void {
    const now = this.now();
    this.tokens = Math.min(this.limits.dataBurstBytes, this.tokens + ((now - this.tokensAt) / 1000) * this.limits.dataRateBytesPerSecond);
    this.tokensAt = now;
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const over = -this.tokens;
    this.tokens = 0;
    for (let i = Math.ceil(over / chunkBytes); i > 0; i--) this.drop('rate', Math.min(chunkBytes, over));
  }

  private drop(reason: DataDropReason, bytes: number): false {
    this.totals.dropped[reason]++;
    this.totals.droppedBytes += bytes;
    if (this.reported) return false;
    const now = this.now();
    this.drops.push(now);
    if (this.drops.length >= this.limits.dataAbuseDrops) this.drops = this.drops.filter((t) => now - t < ABUSE_WINDOW_MS);
    if (this.drops.length >= this.limits.dataAbuseDrops) {
      this.reported = true;
      this.totals.abusers++;
      this.onAbuse(`${this.limits.dataAbuseDrops} data channel drops within ${ABUSE_WINDOW_MS / 1000} s (last: ${reason})`);
    }
    return false;
  }
}
