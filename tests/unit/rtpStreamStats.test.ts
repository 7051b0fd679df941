import { describe, expect, it } from 'vitest';
import { RtpStreamStats } from '../../server/sfu/rtpStreamStats.js';

/** Feeds packets of a 90 kHz stream sent every 33 ms, arriving with the given extra delays. */
function feed(stats: RtpStreamStats, seqs: number[], arrivalJitterMs: (i: number) => number = () => 0, firstSeq = 0): void {
  seqs.forEach((seq, i) => {
    const sentMs = (seq - firstSeq) * 33;
    stats.record(seq & 0xffff, ((seq - firstSeq) * 33 * 90) >>> 0, 1000 + sentMs + arrivalJitterMs(i), 1000);
  });
}

describe('RFC 3550 receive statistics', () => {
  it('counts no loss and no jitter for a perfect stream', () => {
    const stats = new RtpStreamStats(90000);
    feed(stats, Array.from({ length: 100 }, (_, i) => i));
    const s = stats.snapshot();
    expect(s.packetsLost).toBe(0);
    expect(s.lossRatio).toBe(0);
    expect(s.jitter).toBeCloseTo(0, 6);
    // The first packet is the probation packet of RFC 3550 A.1 and is not counted.
    expect(s.packetsReceived).toBe(99);
  });

  it('counts missing sequence numbers as lost', () => {
    const stats = new RtpStreamStats(90000);
    const seqs = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 10 !== 5);
    feed(stats, seqs);
    const s = stats.snapshot();
    expect(s.packetsLost).toBe(20);
    expect(s.lossRatio).toBeCloseTo(20 / 199, 3);
  });

  it('follows the sequence number across the 16-bit wrap', () => {
    const stats = new RtpStreamStats(90000);
    const seqs = Array.from({ length: 100 }, (_, i) => 65500 + i).filter((s) => s !== 65540);
    feed(stats, seqs, () => 0, 65500);
    const s = stats.snapshot();
    expect(s.packetsExpected).toBe(99);
    expect(s.packetsLost).toBe(1);
  });

  it('does not count reordered packets as lost', () => {
    const stats = new RtpStreamStats(90000);
    feed(stats, [0, 1, 2, 4, 3, 5, 6, 8, 7, 9]);
    expect(stats.snapshot().packetsLost).toBe(0);
  });

  it('estimates interarrival jitter in milliseconds', () => {
    const stats = new RtpStreamStats(90000);
    // Alternating +/-5 ms around the ideal arrival: |D| is 10 ms for every pair, so J -> 10 ms.
    feed(stats, Array.from({ length: 500 }, (_, i) => i), (i) => (i % 2 === 0 ? 5 : -5));
    expect(stats.snapshot().jitterMs).toBeGreaterThan(9);
    expect(stats.snapshot().jitterMs).toBeLessThan(10.5);
  });

  it('resynchronises after the sender restarts its sequence numbers', () => {
    const stats = new RtpStreamStats(48000);
    for (let i = 0; i < 50; i++) stats.record(1000 + i, i * 960, i * 20, 100);
    for (let i = 0; i < 50; i++) stats.record(40000 + i, i * 960, 2000 + i * 20, 100);
    const s = stats.snapshot();
    expect(s.packetsLost).toBeLessThanOrEqual(1);
    expect(s.packetsLost).toBeGreaterThanOrEqual(0);
  });
});
