// What the load generator measures: histogram percentiles, a schedule that keeps intended
// times when it runs late (no coordinated omission), and fan-out matching.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FanoutTracker } from '../../loadtest/fanoutTracker.js';
import { LatencyHistogram } from '../../loadtest/histogram.js';
import { Metrics } from '../../loadtest/metrics.js';
import { FixedRateSchedule } from '../../loadtest/schedule.js';
import { bareWire, oursWire, readParticipantUpdated } from '../../loadtest/wire.js';

describe('latency histogram', () => {
  it('reports percentiles of 1..1000 ms within 0.1 %', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -0.3);
    expect(s.p90).toBeCloseTo(900, -0.3);
    expect(s.p99).toBeCloseTo(990, -0.3);
    expect(s.p999).toBeCloseTo(999, -0.3);
    expect(s.max).toBeCloseTo(1000, -0.3);
    expect(s.min).toBe(1);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });

  it('keeps sub-millisecond resolution and never reports a percentile above the maximum', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.25, 0.5, 0.75, 9.27]) h.record(ms);
    const s = h.summary();
    expect(s.p50).toBeCloseTo(0.5, 3);
    expect(s.p999).toBeLessThanOrEqual(s.max);
    expect(s.max).toBeCloseTo(9.27, 2);
  });

  it('is all zeros when empty, and counts a negative latency (clock jitter) as zero', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    h.record(-3);
    expect(h.summary().max).toBe(0.001);
  });

  it('shows a stall in the tail: one 1 s stall among 99 fast samples is the p99.9', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 999; i++) h.record(2);
    h.record(1000);
    expect(h.summary().p99).toBeCloseTo(2, 2);
    expect(h.summary().p999).toBeCloseTo(2, 2);
    expect(h.summary().max).toBeCloseTo(1000, -0.3);
  });
});

describe('fixed-rate schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('fires operation i at start + i / rate and stops after count', async () => {
    let now = 0;
    const fired: Array<[number, number]> = [];
    vi.useFakeTimers();
    const s = new FixedRateSchedule({ startMs: 0, perSecond: 100, count: 5, now: () => now, fire: (i, t) => fired.push([i, t]) }).start();
    for (let t = 0; t <= 60; t++) {
      now = t;
      await vi.advanceTimersByTimeAsync(1);
    }
    await s.done;
    expect(fired).toEqual([[0, 0], [1, 10], [2, 20], [3, 30], [4, 40]]);
  });

  it('when the loop is late, fires everything due at once with its own intended time', async () => {
    let now = 0;
    const fired: Array<[number, number]> = [];
    vi.useFakeTimers();
    const s = new FixedRateSchedule({ startMs: 0, perSecond: 1000, endMs: 10, now: () => now, fire: (i, t) => fired.push([i, t]) });
    now = 7.5; // a 7.5 ms stall before the first tick
    s.start();
    expect(fired.map(([, t]) => t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Measured from intended times, the operations that waited show the stall.
    expect(fired.map(([, t]) => now - t)).toEqual([7.5, 6.5, 5.5, 4.5, 3.5, 2.5, 1.5, 0.5]);
    now = 20;
    await vi.advanceTimersByTimeAsync(20);
    await s.done;
    expect(fired).toHaveLength(10);
  });

  it('stop() ends it early and resolves done', async () => {
    const s = new FixedRateSchedule({ startMs: performance.now() + 60_000, perSecond: 1, fire: () => undefined }).start();
    s.stop();
    await expect(s.done).resolves.toBeUndefined();
    expect(s.firedCount).toBe(0);
  });
});

describe('fan-out matching', () => {
  const receiverA = {};
  const receiverB = {};

  it('measures every delivery from the intended send time and the last one per send', async () => {
    const m = new Metrics();
    const t = new FanoutTracker(m);
    t.sent('s', 0, 100, 2);
    t.sent('s', 1, 200, 2);
    t.delivered(receiverA, 's', undefined, true, 103);
    t.delivered(receiverB, 's', undefined, true, 105);
    t.delivered(receiverA, 's', undefined, false, 210);
    const done = t.allDelivered();
    expect(t.outstanding).toBe(1);
    t.delivered(receiverB, 's', undefined, false, 220);
    await done;
    expect({ sent: m.fanoutSent, expected: m.fanoutExpected, delivered: m.fanoutDelivered, mismatched: m.fanoutMismatched }).toEqual({ sent: 2, expected: 4, delivered: 4, mismatched: 0 });
    expect(m.histogram('fanout').summary()).toMatchObject({ count: 4, min: 3, max: 20 });
    expect(m.histogram('fanoutAll').summary()).toMatchObject({ count: 2, min: 5, max: 20 });
  });

  it('counts a delivery whose mute state breaks the alternation as mismatched, not delivered', () => {
    const m = new Metrics();
    const t = new FanoutTracker(m);
    t.sent('s', 0, 0, 1);
    t.delivered(receiverA, 's', undefined, false, 1); // update 0 must say muted=true
    expect(m.fanoutMismatched).toBe(1);
    expect(m.fanoutDelivered).toBe(0);
    expect(t.outstanding).toBe(1);
  });

  it('uses the sequence number when the wire carries one, and ignores senders it does not track', () => {
    const m = new Metrics();
    const t = new FanoutTracker(m);
    t.sent('b1', 0, 0, 1);
    t.sent('b1', 1, 10, 1);
    t.delivered(receiverA, 'b1', 1, undefined, 12);
    t.delivered(receiverA, 'stranger', 0, undefined, 12);
    expect(m.fanoutDelivered).toBe(1);
    expect(m.histogram('fanout').summary().max).toBe(2);
    expect(m.fanoutMismatched).toBe(0);
  });

  it('after a failed send, stops expecting that sender from there on', async () => {
    const m = new Metrics();
    const t = new FanoutTracker(m);
    t.sent('s', 0, 0, 3);
    t.sent('s', 1, 10, 3);
    t.delivered(receiverA, 's', undefined, true, 1);
    t.failed('s', 1);
    expect(t.counting('s')).toBe(false);
    expect(m.fanoutExpected).toBe(3);
    t.delivered(receiverB, 's', undefined, true, 2);
    t.delivered(receiverA, 's', undefined, false, 12); // seq 1 is no longer counted
    t.delivered({}, 's', undefined, true, 3);
    await t.allDelivered();
    expect(m.fanoutDelivered).toBe(3);
  });
});

describe('wire', () => {
  it('reads participant-updated without JSON.parse exactly as the parse would', () => {
    const event = { type: 'participant-updated', participant: { id: 'p-1', name: 'A "quoted" name', publishing: [], muted: { audio: true, video: false } } };
    expect(readParticipantUpdated(JSON.stringify(event))).toEqual({ kind: 'fanout', sender: 'p-1', state: true });
    expect(oursWire.read(JSON.stringify({ ...event, participant: { ...event.participant, muted: { audio: false, video: true } } }))).toEqual({ kind: 'fanout', sender: 'p-1', state: false });
    // Another field order still reads, through JSON.parse.
    expect(oursWire.read('{"participant":{"muted":{"video":false,"audio":true},"id":"p-2"},"type":"participant-updated"}')).toEqual({ kind: 'fanout', sender: 'p-2', state: true });
  });

  it('turns mute toggles into alternating muted=true/false requests', () => {
    expect(JSON.parse(oursWire.fanoutFrame(7, 'p', 0))).toEqual({ type: 'mute', id: 7, kind: 'audio', muted: true });
    expect(JSON.parse(oursWire.fanoutFrame(8, 'p', 1))).toMatchObject({ muted: false });
  });

  it('reads responses and errors with their codes', () => {
    expect(oursWire.read('{"type":"response","id":3,"ok":false,"error":{"code":"RATE_LIMITED","message":"x"}}')).toEqual({ kind: 'response', id: 3, ok: false, code: 'RATE_LIMITED' });
    expect(oursWire.read('{"type":"error","error":{"code":"BAD_JSON","message":"x"}}')).toEqual({ kind: 'response', id: undefined, ok: false, code: 'BAD_JSON' });
    expect(oursWire.read('{"type":"media-stats","at":1,"streams":[]}')).toEqual({ kind: 'other' });
  });

  it('bare frames carry sender and sequence, and are about as large as our event', () => {
    const frame = bareWire.fanoutFrame(1, 'b42', 17);
    expect(bareWire.read(frame)).toEqual({ kind: 'fanout', sender: 'b42', seq: 17 });
    expect(frame.length).toBeGreaterThan(120);
    expect(bareWire.socketUrl('ws://127.0.0.1:1/ws', 'r 1')).toBe('ws://127.0.0.1:1/ws?room=r%201');
  });
});
