// An open-loop, fixed-rate schedule: operation i is *intended* to start at
// start + i / rate, whatever happened to the operations before it. When the event loop
// runs late, the due operations fire at once and keep their intended times, so the
// latency measured from those times includes the lateness (no coordinated omission).

export interface ScheduleOptions {
  /** Intended start of operation 0, on the performance.now() clock (ms). */
  startMs: number;
  /** Operations per second. */
  perSecond: number;
  /** Stop after this many operations (unbounded if absent). */
  count?: number;
  /** No operation is intended at or after this time (ms). */
  endMs?: number;
  fire(index: number, intendedMs: number): void;
  now?: () => number;
}

/** Most operations fired in one timer callback before yielding to I/O. */
const MAX_BURST = 2000;

export class FixedRateSchedule {
  private fired = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resolveDone!: () => void;
  /** Resolves when the last operation fired or the schedule was stopped. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: ScheduleOptions) {
    if (!(options.perSecond > 0)) throw new RangeError('perSecond must be positive');
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = 1000 / options.perSecond;
  }

  /** Intended start time of operation i. */
  intendedAt(i: number): number {
    return this.options.startMs + i * this.intervalMs;
  }

  get firedCount(): number {
    return this.fired;
  }

  start(): this {
    this.tick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.resolveDone();
  }

  private finished(i: number): boolean {
    const { count, endMs } = this.options;
    return (count !== undefined && i >= count) || (endMs !== undefined && this.intendedAt(i) >= endMs);
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    let burst = 0;
    while (!this.finished(this.fired) && this.intendedAt(this.fired) <= now && burst < MAX_BURST) {
      const i = this.fired++;
      burst++;
      this.options.fire(i, this.intendedAt(i));
      if (this.stopped) return;
    }
    if (this.finished(this.fired)) return this.stop();
    const wait = burst >= MAX_BURST ? 0 : Math.max(0, this.intendedAt(this.fired) - this.now());
    this.timer = setTimeout(() => this.tick(), wait);
  }
}
