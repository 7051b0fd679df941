import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT, ReconnectPolicy } from '../../client/reconnect.js';

/** Every delay the policy hands out before it gives up. */
function schedule(policy: ReconnectPolicy): number[] {
  const delays: number[] = [];
  for (let attempt = 0; attempt < 1000; attempt++) {
    const next = policy.next(attempt);
    if (next === 'give-up') return delays;
    delays.push(next);
  }
  throw new Error('the policy never gave up');
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('reconnect policy', () => {
  it('waits half a second before the first attempt and doubles each time', () => {
    const policy = new ReconnectPolicy();
    expect([0, 1, 2, 3].map((a) => policy.next(a))).toEqual([500, 1000, 2000, 4000]);
  });

  it('never waits longer than 8 s between attempts', () => {
    const delays = schedule(new ReconnectPolicy());
    expect(Math.max(...delays)).toBe(8000);
    expect(delays.every((d) => d > 0 && d <= 8000)).toBe(true);
  });

  it('gives up after 30 s of waiting in all, cutting the last delay to fit', () => {
    const policy = new ReconnectPolicy();
    const delays = schedule(policy);
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 6500]);
    expect(sum(delays)).toBe(DEFAULT_RECONNECT.budgetMs);
    expect(policy.next(delays.length)).toBe('give-up');
  });

  it('keeps giving up for every later attempt', () => {
    const policy = new ReconnectPolicy();
    const first = schedule(policy).length;
    for (let attempt = first; attempt < first + 50; attempt++) expect(policy.next(attempt)).toBe('give-up');
  });

  it('answers the same for the same attempt (no hidden state)', () => {
    const policy = new ReconnectPolicy();
    expect(policy.next(3)).toBe(policy.next(3));
    expect(schedule(policy)).toEqual(schedule(policy));
  });

  it('takes its first delay, cap and budget from options', () => {
    const policy = new ReconnectPolicy({ initialMs: 100, maxMs: 300, budgetMs: 1000 });
    expect(schedule(policy)).toEqual([100, 200, 300, 300, 100]);
  });

  it('spends a budget smaller than the first delay on one attempt, and a zero budget on none', () => {
    expect(schedule(new ReconnectPolicy({ budgetMs: 100 }))).toEqual([100]);
    expect(new ReconnectPolicy({ budgetMs: 0 }).next(0)).toBe('give-up');
  });

  it('refuses attempt numbers that are negative or not integers', () => {
    const policy = new ReconnectPolicy();
    expect(() => policy.next(-1)).toThrow(RangeError);
    expect(() => policy.next(1.5)).toThrow(RangeError);
  });

  it('does not overflow for very large attempt numbers', () => {
    expect(new ReconnectPolicy({ budgetMs: Number.MAX_SAFE_INTEGER }).next(5000)).toBe(8000);
  });
});
