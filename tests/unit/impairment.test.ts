import { describe, expect, it } from 'vitest';
import { Impairment } from '../../server/sfu/impairment.js';

/** A deterministic uniform source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('controlled impairment', () => {
  it('drops about the configured share of packets', () => {
    const imp = new Impairment({ lossPercent: 10, delayMs: 0, jitterMs: 0, kind: 'all' }, seeded(1));
    let dropped = 0;
    for (let i = 0; i < 20_000; i++) if (imp.decide().drop) dropped++;
    expect(dropped / 20_000).toBeGreaterThan(0.09);
    expect(dropped / 20_000).toBeLessThan(0.11);
  });

  it('delays by the base delay plus up to the jitter', () => {
    const imp = new Impairment({ lossPercent: 0, delayMs: 50, jitterMs: 10, kind: 'all' }, seeded(2));
    const delays = Array.from({ length: 1000 }, () => imp.decide().delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(8);
  });

  it('applies only to the chosen kind and subscriber', () => {
    const imp = new Impairment({ lossPercent: 100, delayMs: 0, jitterMs: 0, kind: 'video', subscriberId: 'bob' });
    expect(imp.applies('bob', 'video')).toBe(true);
    expect(imp.applies('bob', 'audio')).toBe(false);
    expect(imp.applies('alice', 'video')).toBe(false);
  });
});
