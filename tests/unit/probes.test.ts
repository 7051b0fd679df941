// Message-latency figures: round-trip percentiles and the share of probes answered in
// time, per path, over the last minute.
import { describe, expect, it } from 'vitest';
import { PROBE_DEADLINE_MS, PROBE_WINDOW_MS, ProbeLog, percentile } from '../../client/call/stats/probes.js';

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 * n)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('ProbeLog', () => {
  it('measures each answered probe from its own send time, per path', () => {
    const log = new ProbeLog();
    log.sent('signaling', 1, 1000);
    log.sent('reliable', 1, 1000);
    expect(log.answered('signaling', 1, 1004)).toBe(4);
    expect(log.answered('reliable', 1, 1001.5)).toBe(1.5);
    const summary = log.summary(1010);
    expect(summary.signaling.lastRttMs).toBe(4);
    expect(summary.reliable.p50Ms).toBe(1.5);
    expect(summary.unreliable).toEqual({ decided: 0, delivered: 0 });
  });

  it('ignores answers to unknown probes and second answers to the same one', () => {
    const log = new ProbeLog();
    log.sent('unreliable', 5, 0);
    expect(log.answered('unreliable', 6, 10)).toBeUndefined();
    expect(log.answered('unreliable', 5, 10)).toBe(10);
    expect(log.answered('unreliable', 5, 20)).toBeUndefined();
  });

  it('counts delivery only for probes whose 2 s deadline has passed, and a late answer as lost', () => {
    const log = new ProbeLog();
    // 10 probes 100 ms apart: 7 answered after 5 ms, one after 2.5 s, two never.
    for (let seq = 0; seq < 10; seq++) log.sent('unreliable', seq, seq * 100);
    for (let seq = 0; seq < 7; seq++) log.answered('unreliable', seq, seq * 100 + 5);
    log.answered('unreliable', 7, 700 + 2500);
    // At 1 s none is decided yet: no ratio rather than a made-up one.
    expect(log.summary(1000).unreliable.deliveryRatio).toBeUndefined();
    const later = log.summary(900 + PROBE_DEADLINE_MS);
    expect(later).toMatchObject({ unreliable: { decided: 10, delivered: 7, deliveryRatio: 0.7 } });
  });

  it('keeps only the last minute', () => {
    const log = new ProbeLog();
    log.sent('signaling', 1, 0);
    log.answered('signaling', 1, 900);
    log.sent('signaling', 2, PROBE_WINDOW_MS + 1);
    log.answered('signaling', 2, PROBE_WINDOW_MS + 11);
    const summary = log.summary(PROBE_WINDOW_MS + 100 + PROBE_DEADLINE_MS);
    expect(summary.signaling).toMatchObject({ decided: 1, delivered: 1, p50Ms: 10, p99Ms: 10 });
    expect(log.samples(PROBE_WINDOW_MS + 100).signaling).toEqual([{ sentAt: PROBE_WINDOW_MS + 1, rttMs: 10 }]);
  });

  it('gives p50, p95 and p99 of a steady path with a slow tail', () => {
    const log = new ProbeLog();
    for (let seq = 0; seq < 200; seq++) {
      log.sent('reliable', seq, seq * 100);
      log.answered('reliable', seq, seq * 100 + (seq % 50 === 0 ? 80 : 2));
    }
    expect(log.summary(200 * 100 + PROBE_DEADLINE_MS)).toMatchObject({ reliable: { p50Ms: 2, p95Ms: 2, p99Ms: 80, deliveryRatio: 1 } });
  });
});
