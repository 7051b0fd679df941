import { describe, expect, it } from 'vitest';
import { qualityToCsv, qualityToJson } from '../../client/call/stats/export.js';
import { HISTORY_WINDOW_MS, QualityHistory, RingBuffer, UPLINK_SERIES, type QualitySample } from '../../client/call/stats/history.js';
import type { QualityReport } from '../../client/call/stats/report.js';

function report(at: number, remotes: string[], lossPercent = 0): QualityReport {
  return {
    at,
    uplink: { quality: 'good', rttMs: 12, lossPercent: 0, video: { direction: 'outbound', kind: 'video', bitrateKbps: 800, fps: 30 } },
    remotes: remotes.map((participantId) => ({ participantId, quality: lossPercent >= 8 ? 'poor' : 'good', lossPercent, audio: { direction: 'inbound', kind: 'audio', jitterMs: 3 } })),
    server: [{ direction: 'inbound', participantId: 'me', kind: 'video', packets: 100, lossPercent: 0, jitterMs: 2, rttMs: null, impairmentDropped: 0 }],
  };
}

describe('the ring buffer', () => {
  it('keeps the newest items up to its capacity, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    ring.clear();
    ring.push(6);
    expect(ring.toArray()).toEqual([6]);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('the last minute of samples', () => {
  it('keeps one series for the uplink and one per remote participant, with the server figures of each', () => {
    const history = new QualityHistory();
    history.record(report(1_000, ['bob']));
    history.record(report(2_000, ['bob', 'carol']));
    const samples = history.samples();
    expect([...samples.keys()]).toEqual([UPLINK_SERIES, 'bob', 'carol']);
    expect(samples.get('bob')?.map((s) => s.at)).toEqual([1_000, 2_000]);
    expect(samples.get(UPLINK_SERIES)?.[0]?.server).toEqual({ video: { lossPercent: 0, jitterMs: 2, packets: 100, impairmentDropped: 0 } });
    expect(samples.get('bob')?.[0]?.server).toBeUndefined();
  });

  it('forgets samples older than 60 s, and participants not heard of for that long', () => {
    const history = new QualityHistory();
    for (let t = 0; t <= 90_000; t += 1_000) history.record(report(t, t < 20_000 ? ['bob', 'carol'] : ['carol']));
    const samples = history.samples();
    expect(samples.has('bob')).toBe(false);
    const carol = samples.get('carol') ?? [];
    expect(carol[0]?.at).toBe(90_000 - HISTORY_WINDOW_MS);
    expect(carol.at(-1)?.at).toBe(90_000);
    expect(carol).toHaveLength(61);
  });
});

describe('exports', () => {
  const samples = new Map<string, QualitySample[]>([
    [UPLINK_SERIES, [{ at: Date.UTC(2026, 0, 1, 12, 0, 1), quality: 'good', rttMs: 12.34567, video: { direction: 'outbound', kind: 'video', bitrateKbps: 812.5, fps: 30, codec: 'video/VP8' } }]],
    ['bob', [{ at: Date.UTC(2026, 0, 1, 12, 0, 0), quality: 'poor', lossPercent: 9.5, transport: { protocol: 'udp', localCandidateType: 'relay', relayProtocol: 'tls', relayed: true } }]],
    ['eve', [{ at: Date.UTC(2026, 0, 1, 12, 0, 2), quality: 'unknown' }]],
  ]);
  const input = { room: 'demo', exportedAt: Date.UTC(2026, 0, 1, 12, 1), names: { [UPLINK_SERIES]: 'You (uplink)', bob: 'Bob, "the builder"', eve: '=HYPERLINK("x")' }, series: samples };

  it('writes JSON with every sample, the names and the thresholds used', () => {
    const parsed = JSON.parse(qualityToJson(input)) as { room: string; exportedAt: string; thresholds: unknown; series: { key: string; name: string; samples: QualitySample[] }[] };
    expect(parsed.room).toBe('demo');
    expect(parsed.exportedAt).toBe('2026-01-01T12:01:00.000Z');
    expect(parsed.thresholds).toEqual({
      good: { lossPercent: 2, rttMs: 150, jitterMs: 30, jitterBufferMs: 250, freezes: 1, fps: 15 },
      poor: { lossPercent: 8, rttMs: 400, jitterMs: 75, jitterBufferMs: 400, freezes: 2, fps: 10 },
    });
    expect(parsed.series.map((s) => [s.key, s.name, s.samples.length])).toEqual([
      ['uplink', 'You (uplink)', 1],
      ['bob', 'Bob, "the builder"', 1],
      ['eve', '=HYPERLINK("x")', 1],
    ]);
    expect(parsed.series[0]?.samples[0]?.video?.bitrateKbps).toBe(812.5);
  });

  it('writes CSV rows in time order, quoting names, leaving unmeasured cells empty, and defusing formulas', () => {
    const lines = qualityToCsv(input).trimEnd().split('\r\n');
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 7)).toEqual(['time', 'series', 'name', 'quality', 'loss_percent', 'jitter_ms', 'rtt_ms']);
    expect(header).toContain('video_bitrate_kbps');
    expect(header).toContain('server_video_loss_percent');
    expect(lines).toHaveLength(4);
    const cell = (line: number, column: string): string | undefined => parseCsvLine(lines[line] ?? '')[header.indexOf(column)];
    expect(cell(1, 'name')).toBe('Bob, "the builder"');
    expect(cell(1, 'loss_percent')).toBe('9.5');
    expect(cell(1, 'relayed')).toBe('true');
    expect(cell(1, 'relay_protocol')).toBe('tls');
    expect(cell(1, 'rtt_ms')).toBe('');
    expect(cell(2, 'series')).toBe('uplink');
    expect(cell(2, 'rtt_ms')).toBe('12.346');
    expect(cell(2, 'video_codec')).toBe('video/VP8');
    expect(cell(3, 'name')).toBe('\'=HYPERLINK("x")');
    expect(lines.every((l) => parseCsvLine(l).length === header.length)).toBe(true);
  });
});

/** Splits one CSV line, honouring quotes (enough for these tests). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}
