// What a receiver can tell about one RTP stream from sequence numbers and arrival times
// alone: packets received, expected and lost (with wrap-around at 65536, reordering and
// duplicates), and freezes. Pure: no sockets, no clocks; callers pass the times.

const SEQ_MOD = 0x10000;
/**
 * How far back (in packets) a late packet is still recognised: duplicates are detected
 * within this window; anything older is counted as `late` and otherwise ignored. 4096
 * packets is 40 s of a 100 pkt/s stream.
 */
export const REORDER_WINDOW = 4096;

export interface SequenceSnapshot {
  /** Distinct packets received (duplicates not counted). */
  received: number;
  /** Packets from the lowest to the highest sequence number seen, both included. */
  expected: number;
  /** expected - received, never negative. */
  lost: number;
  duplicates: number;
  /** Packets that arrived after a higher sequence number (and were not duplicates). */
  reordered: number;
  /** Packets older than the window: too late to tell apart, ignored. */
  late: number;
}

/**
 * Counts one stream's packets by sequence number. Sequence numbers are extended to a
 * monotonic count by taking, for each packet, the unwrapped value nearest the highest so
 * far (a jump of less than half the space forward or back), so a stream can wrap at 65536
 * any number of times.
 */
export class SequenceCounter {
  /** Extended highest and lowest sequence numbers; start at seq + 65536 so they stay positive. */
  private highest = -1;
  private lowest = -1;
  private received = 0;
  private duplicates = 0;
  private reordered = 0;
  private late = 0;
  /** seen[ext % REORDER_WINDOW] holds the extended number last stored in that slot. */
  private readonly seen = new Float64Array(REORDER_WINDOW).fill(-1);

  record(seq: number): void {
    const s = seq & 0xffff;
    if (this.highest < 0) {
      this.highest = this.lowest = s + SEQ_MOD;
      this.mark(this.highest);
      this.received = 1;
      return;
    }
    // Signed distance from the highest, in -32768..32767.
    const delta = ((s - (this.highest % SEQ_MOD) + SEQ_MOD + SEQ_MOD / 2) % SEQ_MOD) - SEQ_MOD / 2;
    const ext = this.highest + delta;
    if (delta > 0) {
      this.highest = ext;
      this.mark(ext);
      this.received++;
      return;
    }
    if (this.highest - ext >= REORDER_WINDOW) {
      this.late++;
      return;
    }
    if (this.seen[ext % REORDER_WINDOW] === ext) {
      this.duplicates++;
      return;
    }
    this.mark(ext);
    this.received++;
    this.reordered++;
    // A packet from before the first one we saw (reordered at the start) widens the range.
    if (ext < this.lowest) this.lowest = ext;
  }

  snapshot(): SequenceSnapshot {
    const expected = this.highest < 0 ? 0 : this.highest - this.lowest + 1;
    return {
      received: this.received,
      expected,
      lost: Math.max(0, expected - this.received),
      duplicates: this.duplicates,
      reordered: this.reordered,
      late: this.late,
    };
  }

  private mark(ext: number): void {
    this.seen[ext % REORDER_WINDOW] = ext;
  }
}

/** A stream silent for longer than this, once it has started, is frozen. */
export const FREEZE_THRESHOLD_MS = 500;

export interface FreezeSnapshot {
  freezes: number;
  /** Sum of the freezes' whole gaps (from the packet before to the packet after, or to now). */
  frozenMs: number;
}

/**
 * Freezes of one stream: each gap of more than FREEZE_THRESHOLD_MS between packets after
 * the first. The gap counts whole, as a viewer sees it, not only the part past the
 * threshold. A gap still open is included in a snapshot taken at `nowMs`.
 */
export class FreezeDetector {
  private lastMs: number | undefined;
  private freezes = 0;
  private frozenMs = 0;

  constructor(private readonly thresholdMs = FREEZE_THRESHOLD_MS) {}

  /** A packet arrived at `atMs` (a monotonic clock, ms). */
  record(atMs: number): void {
    if (this.lastMs !== undefined) {
      const gap = atMs - this.lastMs;
      if (gap > this.thresholdMs) {
        this.freezes++;
        this.frozenMs += gap;
      }
      if (gap <= 0) return;
    }
    this.lastMs = atMs;
  }

  snapshot(nowMs: number): FreezeSnapshot {
    const open = this.lastMs === undefined ? 0 : nowMs - this.lastMs;
    return open > this.thresholdMs ? { freezes: this.freezes + 1, frozenMs: this.frozenMs + open } : { freezes: this.freezes, frozenMs: this.frozenMs };
  }
}

export type MediaKind = 'audio' | 'video';

/** Everything counted about one received stream. */
export interface StreamSnapshot extends SequenceSnapshot, FreezeSnapshot {
  kind: MediaKind;
  ssrc: number;
}

/** One received stream: sequence numbers always, freezes for video only. */
export class ReceivedStream {
  private readonly sequence = new SequenceCounter();
  private readonly freeze: FreezeDetector | undefined;

  constructor(
    readonly kind: MediaKind,
    readonly ssrc: number,
  ) {
    this.freeze = kind === 'video' ? new FreezeDetector() : undefined;
  }

  record(seq: number, atMs: number): void {
    this.sequence.record(seq);
    this.freeze?.record(atMs);
  }

  snapshot(nowMs: number): StreamSnapshot {
    return { kind: this.kind, ssrc: this.ssrc, ...this.sequence.snapshot(), ...(this.freeze?.snapshot(nowMs) ?? { freezes: 0, frozenMs: 0 }) };
  }
}
