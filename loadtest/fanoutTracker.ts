// Matches fan-out deliveries to the sends that caused them and measures each one from the
// send's intended time. Expected deliveries are the members of the sender's room at send
// time, less the sender; what never arrives is reported as missing.
import type { Metrics } from './metrics.js';

interface Send {
  intendedMs: number;
  /** Receivers that have not had this message yet. */
  remaining: number;
}

interface SenderLog {
  sends: Send[];
  /** From this sequence number on the sender's messages are not counted (a send failed). */
  excludedFrom: number;
}

export class FanoutTracker {
  private readonly senders = new Map<string, SenderLog>();
  /** For wires without sequence numbers: updates each receiver has seen from each sender. */
  private readonly seen = new Map<object, Map<string, number>>();
  private waiter: (() => void) | undefined;

  constructor(private readonly metrics: Metrics) {}

  /** Deliveries still expected. */
  get outstanding(): number {
    return this.metrics.fanoutExpected - this.metrics.fanoutDelivered;
  }

  sent(sender: string, seq: number, intendedMs: number, receivers: number): void {
    let log = this.senders.get(sender);
    if (!log) this.senders.set(sender, (log = { sends: [], excludedFrom: Infinity }));
    log.sends[seq] = { intendedMs, remaining: receivers };
    this.metrics.fanoutSent++;
    this.metrics.fanoutExpected += receivers;
    this.metrics.fanoutFirstSendMs ??= intendedMs;
  }

  /** Whether a sender's messages still count (none of its sends failed). */
  counting(sender: string): boolean {
    return (this.senders.get(sender)?.excludedFrom ?? Infinity) === Infinity;
  }

  /**
   * A send was refused or lost: receivers can no longer tell this sender's later messages
   * apart, so from `seq` on they are neither expected nor measured.
   */
  failed(sender: string, seq: number): void {
    const log = this.senders.get(sender);
    if (!log || seq >= log.excludedFrom) return;
    for (let s = seq; s < Math.min(log.sends.length, log.excludedFrom); s++) {
      const send = log.sends[s];
      if (!send) continue;
      this.metrics.fanoutExpected -= send.remaining;
      send.remaining = 0;
    }
    log.excludedFrom = seq;
    this.settle();
  }

  /** One receiver got one fan-out message. */
  delivered(receiver: object, sender: string, seq: number | undefined, state: boolean | undefined, atMs: number): void {
    const log = this.senders.get(sender);
    if (!log) return; // Someone we do not track (another run, a browser in the room).
    let k = seq;
    if (k === undefined) {
      let counts = this.seen.get(receiver);
      if (!counts) this.seen.set(receiver, (counts = new Map()));
      k = counts.get(sender) ?? 0;
      counts.set(sender, k + 1);
    }
    if (k >= log.excludedFrom) return;
    const send = log.sends[k];
    // Mute toggles alternate starting with muted=true, so update k must say muted = (k even).
    if (!send || send.remaining === 0 || (state !== undefined && state !== (k % 2 === 0))) {
      this.metrics.fanoutMismatched++;
      return;
    }
    send.remaining--;
    this.metrics.fanoutDelivered++;
    this.metrics.fanoutLastDeliveryMs = atMs;
    this.metrics.record('fanout', atMs - send.intendedMs);
    if (send.remaining === 0) this.metrics.record('fanoutAll', atMs - send.intendedMs);
    this.settle();
  }

  /** Resolves when every expected delivery arrived. */
  allDelivered(): Promise<void> {
    if (this.outstanding <= 0) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private settle(): void {
    if (this.waiter && this.outstanding <= 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w();
    }
  }
}
