// Everything one run measures: latency histograms by operation, counters, errors by
// code and the number of connections held. Scenarios write here; the report reads it.
import { LatencyHistogram } from './histogram.js';

/** The operations whose latency is measured, each from its intended start time. */
export const LATENCIES = {
  /** Intended arrival -> WebSocket open. */
  connect: 'connect',
  /** Intended arrival -> join response ok (connect + join request): the time to be in the room. */
  join: 'join',
  /** Join request sent -> its response (service time of join alone). */
  joinRequest: 'joinRequest',
  /** Intended send of a fan-out message -> its arrival at one receiver (one sample per receiver). */
  fanout: 'fanout',
  /** Intended send of a fan-out message -> its arrival at the last receiver of the room. */
  fanoutAll: 'fanoutAll',
  /** Intended send of a request (mute, ping) -> its response at the sender. */
  request: 'request',
  /** Intended leave -> the server's close (churn). */
  leave: 'leave',
  /** Intended rejoin after a dropped socket -> joined again (reconnect). */
  reconnect: 'reconnect',
} as const;
export type LatencyName = (typeof LATENCIES)[keyof typeof LATENCIES];

export class Metrics {
  readonly latency = new Map<LatencyName, LatencyHistogram>();
  readonly errors = new Map<string, number>();
  /** Sockets open now, and the most at once. */
  held = 0;
  heldPeak = 0;
  connectAttempts = 0;
  joins = 0;
  framesSent = 0;
  framesReceived = 0;
  fanoutSent = 0;
  fanoutExpected = 0;
  fanoutDelivered = 0;
  /** Deliveries whose content did not match the sequence the sender produced. */
  fanoutMismatched = 0;
  /** performance.now() of the first fan-out send and of the last delivery. */
  fanoutFirstSendMs: number | undefined;
  fanoutLastDeliveryMs: number | undefined;
  /** The generator's own CPU while sending fan-out messages (100 = one core). */
  fanoutGeneratorCpuPercent: number | undefined;

  constructor() {
    for (const name of Object.values(LATENCIES)) this.latency.set(name, new LatencyHistogram());
  }

  record(name: LatencyName, ms: number): void {
    this.latency.get(name)!.record(ms);
  }

  histogram(name: LatencyName): LatencyHistogram {
    return this.latency.get(name)!;
  }

  /** Counts an error under a stable code such as `close:4005` or `response:RATE_LIMITED`. */
  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  get errorTotal(): number {
    let total = 0;
    for (const n of this.errors.values()) total += n;
    return total;
  }

  socketOpened(): void {
    this.held++;
    if (this.held > this.heldPeak) this.heldPeak = this.held;
  }

  socketClosed(): void {
    this.held--;
  }
}
