// Receive statistics of one incoming RTP stream, as RFC 3550 defines them: extended
// highest sequence number and packets expected/lost (A.1, A.3), and interarrival jitter
// (A.8) in RTP timestamp units, also given in milliseconds.

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Packets in sequence needed before a source is considered valid (A.1). */
const MIN_SEQUENTIAL = 2;

export interface StreamStatsSnapshot {
  packetsReceived: number;
  bytesReceived: number;
  packetsExpected: number;
  /** Cumulative loss: expected minus received (negative when duplicates arrive). */
  packetsLost: number;
  /** Loss over the whole stream, 0..1. */
  lossRatio: number;
  /** Interarrival jitter, RTP timestamp units. */
  jitter: number;
  jitterMs: number;
}

export class RtpStreamStats {
  private maxSeq = 0;
  /** Count of sequence number wraps, shifted (A.1 `cycles`). */
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private received = 0;
  private bytes = 0;
  private started = false;

  private jitterValue = 0;
  private lastTransit: number | undefined;

  constructor(readonly clockRate: number) {}

  /**
   * Records one packet. `arrivalMs` is the local arrival time in milliseconds (a
   * monotonic clock); `rtpTimestamp` and `seq` come from the packet header.
   */
  record(seq: number, rtpTimestamp: number, arrivalMs: number, payloadBytes: number): void {
    if (!this.started) {
      this.initSeq(seq);
      this.maxSeq = seq - 1;
      this.probation = MIN_SEQUENTIAL;
      this.started = true;
    }
    if (!this.updateSeq(seq)) return;
    this.received++;
    this.bytes += payloadBytes;
    this.updateJitter(rtpTimestamp, arrivalMs);
  }

  snapshot(): StreamStatsSnapshot {
    const expected = this.expected();
    const lost = expected - this.received;
    return {
      packetsReceived: this.received,
      bytesReceived: this.bytes,
      packetsExpected: expected,
      packetsLost: lost,
      lossRatio: expected > 0 ? Math.max(0, lost) / expected : 0,
      jitter: this.jitterValue,
      jitterMs: (this.jitterValue / this.clockRate) * 1000,
    };
  }

  private expected(): number {
    if (this.received === 0) return 0;
    const extendedMax = this.cycles + this.maxSeq;
    return extendedMax - this.baseSeq + 1;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.bytes = 0;
    this.lastTransit = undefined;
  }

  /** RFC 3550 A.1 update_seq: false when the packet is to be ignored. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      // A source is valid only after MIN_SEQUENTIAL packets in sequence.
      if (seq === (this.maxSeq + 1) % RTP_SEQ_MOD) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: maybe the sender restarted. Two in a row resync.
      if (seq === this.badSeq) {
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) % RTP_SEQ_MOD;
        return false;
      }
    }
    // Otherwise a duplicate or reordered packet: counted as received.
    return true;
  }

  /** RFC 3550 A.8: J += (|D| - J) / 16, with D the difference in relative transit time. */
  private updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs / 1000) * this.clockRate;
    const transit = arrival - rtpTimestamp;
    if (this.lastTransit !== undefined) {
      let d = transit - this.lastTransit;
      // RTP timestamps wrap at 2^32; keep d in range.
      if (d > 2 ** 31) d -= 2 ** 32;
      if (d < -(2 ** 31)) d += 2 ** 32;
      this.jitterValue += (Math.abs(d) - this.jitterValue) / 16;
    }
    this.lastTransit = transit;
  }
}
