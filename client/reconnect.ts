// When to try reconnecting again, and when to stop: exponential back-off from a first
// short delay, capped, until the delays add up to a total budget (the last one is cut to
// fit). Pure, so it is tested without a network.

export interface ReconnectPolicyOptions {
  /** Delay before the first attempt. */
  initialMs: number;
  /** No single delay is longer than this. */
  maxMs: number;
  /** Total waiting across all attempts; once spent, give up. */
  budgetMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicyOptions = { initialMs: 500, maxMs: 8_000, budgetMs: 30_000 };

export class ReconnectPolicy {
  private readonly options: ReconnectPolicyOptions;

  constructor(options: Partial<ReconnectPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RECONNECT, ...options };
  }

  /** Delay in ms before attempt number `attempt` (0 = first), or 'give-up'. */
  next(attempt: number): number | 'give-up' {
    if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
    let remaining = this.options.budgetMs;
    for (let i = 0; i < attempt && remaining > 0; i++) remaining -= this.delay(i);
    if (remaining <= 0) return 'give-up';
    return Math.min(this.delay(attempt), remaining);
  }

  private delay(attempt: number): number {
    // 2 ** attempt overflows to Infinity long after the cap is reached, which min() handles.
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** attempt);
  }
}
