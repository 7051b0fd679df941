// The message-latency probe: every 100 ms one small message on each path (the signaling
// socket's `ping`, a reliable data channel, an unreliable one), timed until its answer.
// The SFU echoes data-channel messages as they are; a message is the probe's sequence
// number as text. The figures come from ProbeLog.
import { ProbeLog, type ProbePath, type ProbeSample, type ProbeSummary } from './stats/probes.js';

export const PROBE_INTERVAL_MS = 100;

/** Sends a signaling ping and resolves when it is answered. */
export type SignalingPing = () => Promise<unknown>;

export class LatencyProbe {
  private readonly log = new ProbeLog();
  private readonly channels = new Map<ProbePath, RTCDataChannel>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;
  private closed = false;

  constructor(private readonly ping: SignalingPing) {}

  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), PROBE_INTERVAL_MS);
  }

  /** Probes on `path` go over this channel from the next tick on (while it is open). */
  attachChannel(path: Exclude<ProbePath, 'signaling'>, channel: RTCDataChannel): void {
    this.channels.set(path, channel);
    channel.addEventListener('message', (ev: MessageEvent<unknown>) => {
      if (this.closed || this.channels.get(path) !== channel || typeof ev.data !== 'string') return;
      const seq = Number(ev.data);
      if (Number.isSafeInteger(seq)) this.log.answered(path, seq, performance.now());
    });
  }

  summary(): ProbeSummary {
    return this.log.summary(performance.now());
  }

  /** Every probe of the last minute per path; `now` is on the same clock as `sentAt`. */
  samples(): { now: number; samples: Record<ProbePath, ProbeSample[]> } {
    const now = performance.now();
    return { now, samples: this.log.samples(now) };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.channels.clear();
  }

  private tick(): void {
    const seq = ++this.seq;
    const at = performance.now();
    this.log.sent('signaling', seq, at);
    this.ping().then(
      () => {
        if (!this.closed) this.log.answered('signaling', seq, performance.now());
      },
      () => undefined,
    );
    for (const [path, channel] of this.channels) {
      // Until a channel opens its probes are not sent, and do not count as lost either.
      if (channel.readyState !== 'open') continue;
      this.log.sent(path, seq, at);
      try {
        channel.send(String(seq));
      } catch {
        // Closing under us: the probe stays unanswered, which is what happened.
      }
    }
  }
}
