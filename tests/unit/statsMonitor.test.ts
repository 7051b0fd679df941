import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QualityMonitor, type CallStatsSnapshot } from '../../client/call/qualityMonitor.js';
import type { QualityReport } from '../../client/call/stats/report.js';
import { publisherFirst, publisherSecond, SUBSCRIBER_MIDS, subscriberFirst, subscriberSecond } from './fixtures/chromeStats.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

/** A monitor whose readings come from `snapshots` in turn (the last one repeats). */
function monitorOf(snapshots: CallStatsSnapshot[]): { monitor: QualityMonitor; reports: QualityReport[]; reads: () => number } {
  const reports: QualityReport[] = [];
  let reads = 0;
  const monitor = new QualityMonitor(
    async () => snapshots[Math.min(reads++, snapshots.length - 1)],
    (report) => reports.push(report),
    { badgeMs: 2_000, detailedMs: 1_000 },
  );
  return { monitor, reports, reads: () => reads };
}

const first: CallStatsSnapshot = { publisher: publisherFirst, subscriber: subscriberFirst, owners: { byMid: SUBSCRIBER_MIDS } };
const second: CallStatsSnapshot = { publisher: publisherSecond, subscriber: subscriberSecond, owners: { byMid: SUBSCRIBER_MIDS } };

describe('collecting call quality', () => {
  it('reads at once, then every 2 s for the badges and every 1 s while the figures are open', async () => {
    const { monitor, reads } = monitorOf([first]);
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads()).toBe(1);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(reads()).toBe(3);
    monitor.setDetailed(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(reads()).toBe(4);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(reads()).toBe(7);
    monitor.setDetailed(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(reads()).toBe(9);
    monitor.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads()).toBe(9);
  });

  it('has rates from the second reading on, and keeps every report in the history', async () => {
    const { monitor, reports } = monitorOf([first, second]);
    monitor.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reports).toHaveLength(2);
    expect(reports[0]?.uplink?.video?.bitrateKbps).toBeUndefined();
    expect(reports[1]?.uplink?.video?.bitrateKbps).toBeGreaterThan(0);
    expect(monitor.latest).toBe(reports[1]);
    expect(monitor.samples().get('uplink')?.map((s) => s.at)).toEqual([1_000_000, 1_002_000]);
    monitor.stop();
  });

  it('starts afresh on a new connection: no rates across it, and no server figures of the old one', async () => {
    const { monitor, reports } = monitorOf([first, second]);
    monitor.setServerStreams([{ direction: 'inbound', participantId: 'me', kind: 'audio', packets: 1, lossPercent: 0, jitterMs: 1, rttMs: null, impairmentDropped: 0 }]);
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(reports[0]?.server).toHaveLength(1);
    monitor.reset();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reports[1]?.server).toEqual([]);
    expect(reports[1]?.uplink?.video?.bitrateKbps).toBeUndefined();
    monitor.stop();
  });

  it('drops a reading of the old connection that finishes after the reset', async () => {
    let finish: (snapshot: CallStatsSnapshot) => void = () => undefined;
    const reports: QualityReport[] = [];
    const monitor = new QualityMonitor(() => new Promise((resolve) => (finish = resolve)), (r) => reports.push(r));
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    monitor.reset();
    finish(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(reports).toEqual([]);
    monitor.stop();
  });

  it('keeps going after a reading fails, and makes no report while there is no connection', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const results: (CallStatsSnapshot | undefined | Error)[] = [new Error('getStats failed'), undefined, first];
    const reports: QualityReport[] = [];
    const monitor = new QualityMonitor(
      async () => {
        const next = results.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      (r) => reports.push(r),
    );
    monitor.start();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(reports).toHaveLength(1);
    expect(warn).toHaveBeenCalledOnce();
    monitor.stop();
    warn.mockRestore();
  });
});
