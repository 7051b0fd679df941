import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spreadSweep } from '../../server/sweep.js';

describe('spreadSweep', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('visits every member once per interval, a slice per tick instead of all at once', () => {
    const members = new Set(Array.from({ length: 1000 }, (_, i) => i));
    const visits: number[][] = [];
    let tick: number[] = [];
    const sweep = spreadSweep(10_000, () => members, (m) => members.has(m), (m) => tick.push(m));
    for (let i = 0; i < 40; i++) {
      vi.advanceTimersByTime(500);
      visits.push(tick);
      tick = [];
    }
    sweep.stop();
    // No tick visits more than a twentieth of the members.
    expect(Math.max(...visits.map((v) => v.length))).toBe(50);
    // Each interval (20 ticks) visits each member exactly once.
    for (const round of [visits.slice(0, 20).flat(), visits.slice(20).flat()]) {
      expect(round.length).toBe(1000);
      expect(new Set(round).size).toBe(1000);
    }
  });

  it('skips members gone by their turn and takes new ones in the next round', () => {
    const members = new Set([1, 2, 3, 4]);
    const seen: number[] = [];
    const sweep = spreadSweep(2000, () => members, (m) => members.has(m), (m) => seen.push(m));
    vi.advanceTimersByTime(100); // first tick of the first round: its snapshot is 1..4
    members.delete(4);
    members.add(5);
    vi.advanceTimersByTime(1900);
    expect(seen).toEqual([1, 2, 3]);
    vi.advanceTimersByTime(2000);
    expect(seen).toEqual([1, 2, 3, 1, 2, 3, 5]);
    sweep.stop();
  });

  it('does nothing after stop', () => {
    const visit = vi.fn();
    const sweep = spreadSweep(1000, () => [1, 2], () => true, visit);
    sweep.stop();
    vi.advanceTimersByTime(5000);
    expect(visit).not.toHaveBeenCalled();
  });
});
