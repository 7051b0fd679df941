import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT, ReconnectPolicy, type ReconnectPolicyOptions } from '../../client/call/reconnect.js';

/** Every delay the policy hands out before it gives up (at most `limit`). */
function schedule(policy: ReconnectPolicy, limit = 1000): { delays: number[]; gaveUp: boolean } {
  const delays: number[] = [];
  for (let attempt = 0; attempt < limit; attempt++) {
    const next = policy.next(attempt);
    if (next === 'give-up') return { delays, gaveUp: true };
    delays.push(next);
  }
  return { delays, gaveUp: false };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
/** A policy without randomness (jitter off), for the shape of the back-off. */
const exact = (options: Partial<ReconnectPolicyOptions> = {}): ReconnectPolicy => new ReconnectPolicy({ jitter: 0, ...options });

describe('reconnect policy', () => {
  it('waits a quarter of a second before the first attempt and doubles each time, up to 4 s', () => {
    const policy = exact();
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => policy.next(a))).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
  });

  it('never gives up by default: after an hour of outage it still tries every 4 s at most', () => {
    const { delays, gaveUp } = schedule(exact(), 2000);
    expect(gaveUp).toBe(false);
    expect(sum(delays)).toBeGreaterThan(3600_000);
    expect(Math.max(...delays)).toBe(DEFAULT_RECONNECT.maxMs);
  });

  it('draws each delay between half and all of the back-off, so pages that lost one server spread out', () => {
    const low = new ReconnectPolicy({ random: () => 0.999999 });
    const high = new ReconnectPolicy({ random: () => 0 });
    expect(low.next(4)).toBe(2000);
    expect(high.next(4)).toBe(4000);
    let seed = 1;
    const lcg = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const delays = schedule(new ReconnectPolicy({ random: lcg }), 200).delays.slice(10);
    expect(delays.every((d) => d >= 2000 && d <= 4000)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it('with a budget, gives up once the delays add up to it, cutting the last one to fit', () => {
    const policy = exact({ initialMs: 500, maxMs: 8000, budgetMs: 30_000 });
    const { delays, gaveUp } = schedule(policy);
    expect(gaveUp).toBe(true);
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 6500]);
    for (let attempt = delays.length; attempt < delays.length + 50; attempt++) expect(policy.next(attempt)).toBe('give-up');
  });

  it('answers the same for the same attempt and the same random draw (no hidden state)', () => {
    const policy = new ReconnectPolicy({ random: () => 0.25 });
    expect(policy.next(3)).toBe(policy.next(3));
    expect(schedule(policy, 30)).toEqual(schedule(policy, 30));
  });

  it('takes its first delay, cap and budget from options; a zero budget allows no attempt', () => {
    expect(schedule(exact({ initialMs: 100, maxMs: 300, budgetMs: 1000 })).delays).toEqual([100, 200, 300, 300, 100]);
    expect(schedule(exact({ initialMs: 500, budgetMs: 100 })).delays).toEqual([100]);
    expect(exact({ budgetMs: 0 }).next(0)).toBe('give-up');
  });

  it('refuses attempt numbers that are negative or not integers, and jitter outside 0..1', () => {
    const policy = new ReconnectPolicy();
    expect(() => policy.next(-1)).toThrow(RangeError);
    expect(() => policy.next(1.5)).toThrow(RangeError);
    expect(() => new ReconnectPolicy({ jitter: 1.5 })).toThrow(RangeError);
  });

  it('does not overflow for very large attempt numbers, with or without a budget', () => {
    expect(exact().next(5000)).toBe(4000);
    expect(exact({ budgetMs: Number.MAX_SAFE_INTEGER }).next(5000)).toBe(4000);
  });
});
