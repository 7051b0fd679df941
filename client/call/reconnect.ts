// When to try reconnecting again: exponential back-off from a first short delay, capped,
// with part of each delay drawn at random so that a room full of pages that lost the same
// server do not all come back in the same millisecond. By default it never gives up (a
// server restart or a long network outage ends with the page back in the call, without a
// click); a finite budget makes it give up once the delays add up to it (the last one is
// cut to fit). Pure apart from the injected random source, so it is tested without a network.

export interface ReconnectPolicyOptions {
  /** Delay before the first attempt. */
  initialMs: number;
  /** No single delay is longer than this. */
  maxMs: number;
  /** Total waiting across all attempts (before jitter); once spent, give up. Infinity: never. */
  budgetMs: number;
  /** Share of each delay that is random: 0.5 waits between half and all of it; 0 none. */
  jitter: number;
  /** Uniform in [0, 1). */
  random: () => number;
}

/**
 * The cap is 4 s: a page waits at most that long past the moment the server is back, and
 * a retry every 2-4 s per page is little load for a server that has just started.
 */
export const DEFAULT_RECONNECT: ReconnectPolicyOptions = { initialMs: 250, maxMs: 4_000, budgetMs: Infinity, jitter: 0.5, random: Math.random };

export class ReconnectPolicy {
  private readonly options: ReconnectPolicyOptions;

  constructor(options: Partial<ReconnectPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RECONNECT, ...options };
    const { jitter } = this.options;
    if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`jitter must be between 0 and 1, got ${jitter}`);
  }

  /** Delay in ms before attempt number `attempt` (0 = first), or 'give-up'. */
  next(attempt: number): number | 'give-up' {
    if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
    const base = this.baseDelay(attempt);
    if (base === 'give-up') return base;
    const { jitter, random } = this.options;
    return Math.round(base * (1 - jitter * Math.min(1, Math.max(0, random()))));
  }

  /** The delay before jitter: doubling from initialMs up to maxMs, cut to what is left of the budget. */
  private baseDelay(attempt: number): number | 'give-up' {
    const { budgetMs } = this.options;
    if (budgetMs === Infinity) return this.delay(attempt);
    let remaining = budgetMs;
    for (let i = 0; i < attempt && remaining > 0; i++) remaining -= this.delay(i);
    if (remaining <= 0) return 'give-up';
    return Math.min(this.delay(attempt), remaining);
  }

  private delay(attempt: number): number {
    // 2 ** attempt overflows to Infinity long after the cap is reached, which min() handles.
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** attempt);
  }
}
