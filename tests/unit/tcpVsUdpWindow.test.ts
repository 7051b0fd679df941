import { describe, expect, it } from 'vitest';
import type { VideoCounters } from '../../client/call/subscriber.js';
import { probeFigures, videoFigures } from '../../scripts/tcp-vs-udp/windowFigures.js';

describe('probe figures over a window', () => {
  it('counts only probes sent inside the window, and late answers as lost', () => {
    const samples = [
      { sentAt: 900, rttMs: 5 }, // before the window
      { sentAt: 1000, rttMs: 10 },
      { sentAt: 1100 }, // never answered
      { sentAt: 1200, rttMs: 2500 }, // answered after the 2 s deadline
      { sentAt: 1300, rttMs: 30 },
      { sentAt: 2000, rttMs: 1 }, // the window's end is exclusive
    ];
    const f = probeFigures(samples, 1000, 2000);
    expect(f).toMatchObject({ sent: 4, delivered: 2, deliveryRatio: 0.5, p50Ms: 10, p99Ms: 30 });
  });

  it('counts as late the probes answered more than 80 ms after the median: those a retransmission held back', () => {
    const rtts = [100, 101, 102, 103, 104, 180, 185, 300, 900];
    const f = probeFigures(rtts.map((rttMs, i) => ({ sentAt: 1000 + i * 100, rttMs })), 1000, 2000);
    expect(f.p50Ms).toBe(104);
    expect(f.late).toBe(3);
  });

  it('leaves the ratio and percentiles out when nothing was sent', () => {
    expect(probeFigures([], 0, 1000)).toEqual({ sent: 0, delivered: 0 });
  });
});

describe('video figures between two readings', () => {
  const at = (v: Partial<VideoCounters>): VideoCounters => ({
    framesDecoded: 0,
    freezeCount: 0,
    totalFreezesDuration: 0,
    jitterBufferDelay: 0,
    jitterBufferEmittedCount: 0,
    packetsReceived: 0,
    packetsLost: 0,
    nackCount: 0,
    ...v,
  });

  it('turns counter differences into rates, averages and percentages', () => {
    const start = at({ framesDecoded: 100, jitterBufferDelay: 1, jitterBufferEmittedCount: 100, packetsReceived: 1000, packetsLost: 10 });
    const end = at({ framesDecoded: 400, freezeCount: 2, totalFreezesDuration: 0.5, jitterBufferDelay: 25, jitterBufferEmittedCount: 400, packetsReceived: 1950, packetsLost: 60, nackCount: 40 });
    const f = videoFigures(start, end, 10);
    expect(f.fps).toBe(30);
    expect(f.freezeCount).toBe(2);
    expect(f.freezeSeconds).toBe(0.5);
    expect(f.jitterBufferMs).toBeCloseTo(80); // 24 s over 300 frames
    expect(f.lossPercent).toBeCloseTo(5); // 50 lost of 1000 expected
    expect(f.nackCount).toBe(40);
  });

  it('says nothing without both readings', () => {
    expect(videoFigures(undefined, at({}), 10)).toEqual({});
  });
});
