import { describe, expect, it } from 'vitest';
import { Impairment } from '../../server/sfu/impairment.js';
import { rttFromReport } from '../../server/sfu/sfuParticipant.js';

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

describe('round-trip time from a receiver report (RFC 3550 6.4.1)', () => {
  /** The middle 32 bits of the NTP timestamp of a wall-clock time in ms. */
  function ntpMiddle(ms: number): number {
    const seconds = Math.floor(ms / 1000) + 2_208_988_800;
    return ((seconds & 0xffff) * 65536 + Math.floor(((ms % 1000) / 1000) * 65536)) >>> 0;
  }

  it('is the arrival time minus the SR time minus the receiver hold time', () => {
    const srSentAt = 1_800_000_000_000;
    const heldMs = 200;
    const arrival = srSentAt + heldMs + 40; // 40 ms of network round trip
    const rtt = rttFromReport(ntpMiddle(srSentAt), Math.round((heldMs / 1000) * 65536), arrival);
    expect(rtt).not.toBeNull();
    expect(rtt!).toBeGreaterThan(38);
    expect(rtt!).toBeLessThan(42);
  });

  it('gives no figure for a report about a sender report we cannot have sent', () => {
    expect(rttFromReport(ntpMiddle(Date.now() + 5 * 60_000), 0)).toBeNull();
  });
});
