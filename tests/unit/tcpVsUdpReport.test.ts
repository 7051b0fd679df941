// The TCP vs UDP report: rows in the order the run lists profiles and transports, figures
// printed the way the experiment reads them, gaps for what was not measured (never NaN),
// and an HTML page that loads nothing from anywhere and cannot be broken by a label.
import { describe, expect, it } from 'vitest';
import { formatPercent, formatProbe, renderHtml, renderMarkdown } from '../../scripts/tcp-vs-udp/report.js';
import type { ExperimentRun, Measurement, MediaTransport, ProbeFigures } from '../../scripts/tcp-vs-udp/results.js';

const full = (p50Ms: number, p95Ms: number, p99Ms: number, deliveryRatio = 1): ProbeFigures => ({ sent: 100, delivered: Math.round(100 * deliveryRatio), deliveryRatio, p50Ms, p95Ms, p99Ms });

function measurement(profileId: string, transport: MediaTransport, extra: Partial<Measurement> = {}): Measurement {
  return {
    profileId,
    transport,
    path: `${transport} host→host`,
    probes: { signaling: full(52.4, 60.6, 259.5), reliable: full(10, 20, 30, 0.973), unreliable: full(5, 6, 7, 0.29) },
    video: { fps: 29.04, freezeCount: 2, freezeSeconds: 0.83, jitterBufferMs: 61.6, lossPercent: 1.25, nackCount: 17 },
    linkLossPercent: 1.04,
    ...extra,
  };
}

/** Two profiles and three transports, measurements recorded out of order. */
function sampleRun(): ExperimentRun {
  return {
    startedAt: '2025-06-01T10:00:00.000Z',
    mode: 'netns',
    machine: 'Linux 6.18, 2 cores',
    windowSeconds: 20,
    profiles: [
      { id: 'clean', label: 'No impairment', delayMs: 0, jitterMs: 0, loss: 0 },
      { id: 'loss-5', label: '5% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0.05 },
    ],
    transports: ['udp', 'tcp', 'turn'],
    measurements: [
      measurement('loss-5', 'turn'),
      measurement('clean', 'tcp'),
      measurement('loss-5', 'udp'),
      measurement('clean', 'turn'),
      measurement('clean', 'udp'),
      measurement('loss-5', 'tcp'),
    ],
    notMeasured: [],
  };
}

/** The cells of a Markdown table's body rows, the table being the one under `heading`. */
function tableRows(markdown: string, heading: string): string[][] {
  const section = (markdown.split(`### ${heading}`)[1] ?? '').split('### ')[0] ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) => l.slice(2, -2).split(' | '));
}

describe('renderMarkdown', () => {
  it('has one row per measurement, in profile order then transport order', () => {
    const rows = tableRows(renderMarkdown(sampleRun()), 'Message round trip');
    expect(rows.map((r) => `${r[0]} / ${r[1]}`)).toEqual([
      'No impairment / UDP',
      'No impairment / ICE-TCP',
      'No impairment / TURN/TCP',
      '5% loss, 50 ms delay / UDP',
      '5% loss, 50 ms delay / ICE-TCP',
      '5% loss, 50 ms delay / TURN/TCP',
    ]);
    expect(tableRows(renderMarkdown(sampleRun()), 'Video')).toHaveLength(6);
  });

  it('prints p50 / p95 / p99 as whole ms and delivery with one decimal unless 100', () => {
    const [row] = tableRows(renderMarkdown(sampleRun()), 'Message round trip');
    expect(row?.slice(2)).toEqual(['52 / 61 / 260 ms · 100%', '10 / 20 / 30 ms · 97.3%', '5 / 6 / 7 ms · 29.0%']);
  });

  it('never rounds a loss up to 100%', () => {
    expect(formatPercent(0.99996)).toBe('99.9%');
    expect(formatPercent(0)).toBe('0.0%');
    expect(formatPercent(undefined)).toBe('–');
  });

  it('says "not measured" for a path on which nothing was sent, and – for a missing percentile', () => {
    expect(formatProbe({ sent: 0, delivered: 0 })).toBe('not measured');
    expect(formatProbe({ sent: 10, delivered: 0, deliveryRatio: 0 })).toBe('– / – / – ms · 0.0%');
    const run = sampleRun();
    run.measurements = [measurement('clean', 'turn', { probes: { signaling: full(1, 2, 3), reliable: full(1, 2, 3), unreliable: { sent: 0, delivered: 0 } } })];
    const [row] = tableRows(renderMarkdown(run), 'Message round trip');
    expect(row?.[4]).toBe('not measured');
  });

  it('prints the video figures: path, fps, freezes with seconds, jitter buffer, loss, NACKs, the link\'s drops', () => {
    const [row] = tableRows(renderMarkdown(sampleRun()), 'Video');
    expect(row).toEqual(['No impairment', 'UDP', 'udp host→host', '29.0', '2 (0.8 s)', '62', '1.3', '17', '1.0']);
  });

  it('states the run facts and that impairment applies from the clients to the server', () => {
    const md = renderMarkdown(sampleRun());
    const header = md.split('\n')[0] ?? '';
    for (const fact of ['netns', 'Linux 6.18, 2 cores', '20 s', '2025-06-01T10:00:00.000Z', 'from the clients to the server']) expect(header).toContain(fact);
  });

  it('lists what was not measured, and only when something was not', () => {
    expect(renderMarkdown(sampleRun())).not.toContain('Not measured in this run');
    const run = { ...sampleRun(), notMeasured: ['TURN/TCP: no coturn in reduced mode'] };
    expect(renderMarkdown(run)).toMatch(/### Not measured in this run\n\n- TURN\/TCP: no coturn in reduced mode/);
  });

  it('keeps a label with a pipe inside its cell', () => {
    const run = sampleRun();
    run.profiles[0] = { id: 'clean', label: 'a | b', delayMs: 0, jitterMs: 0, loss: 0 };
    expect(tableRows(renderMarkdown(run), 'Message round trip')[0]?.[0]).toBe('a \\| b');
  });
});

describe('renderHtml', () => {
  it('is self-contained: no scripts, stylesheets, fonts or images from anywhere', () => {
    const html = renderHtml(sampleRun());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('has the title and one <svg> per chart: p99 per path, two delivery, freezes and fps', () => {
    const html = renderHtml(sampleRun());
    expect(html).toContain('<title>TCP vs UDP: message latency and video under impairment</title>');
    const captions = [...html.matchAll(/<figcaption>(.*?)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toEqual([
      'WebSocket: p99 round trip (ms)',
      'DC reliable: p99 round trip (ms)',
      'DC unreliable: p99 round trip (ms)',
      'DC unreliable: answered within 2 s (%)',
      'WebSocket: answered within 2 s (%)',
      'Video: time frozen (s)',
      'Video: frames per second',
    ]);
    expect(html.match(/<svg\b/g)).toHaveLength(captions.length);
    expect(html.match(/<\/svg>/g)).toHaveLength(captions.length);
  });

  it('escapes labels, paths and notes taken from the run', () => {
    const run = sampleRun();
    run.profiles[0] = { id: 'clean', label: 'Loss <b>& "x"', delayMs: 0, jitterMs: 0, loss: 0 };
    run.measurements = run.measurements.map((m) => ({ ...m, path: '<i>relay</i>' }));
    run.notMeasured = ['<script>alert(1)</script>'];
    const html = renderHtml(run);
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Loss &#60;b&#62;&#38; &#34;x&#34;');
    expect(html).toContain('&#60;i&#62;relay&#60;/i&#62;');
  });
});

describe('values the run does not have', () => {
  /** Every optional figure left out, and a measurement for one transport missing entirely. */
  function sparseRun(): ExperimentRun {
    const run = sampleRun();
    const bare: ProbeFigures = { sent: 10, delivered: 3 };
    run.measurements = [
      measurement('clean', 'udp', { video: {}, linkLossPercent: undefined, probes: { signaling: bare, reliable: { sent: 0, delivered: 0 }, unreliable: { sent: 10, delivered: 0 } } }),
      measurement('loss-5', 'tcp', { path: '', video: { freezeCount: 1 } }),
    ];
    run.notMeasured = ['TURN/TCP: relay did not start'];
    return run;
  }

  it('never prints NaN or undefined in either output', () => {
    for (const out of [renderMarkdown(sparseRun()), renderHtml(sparseRun())]) {
      expect(out).not.toMatch(/NaN|undefined|Infinity|null/);
    }
  });

  it('prints – for each missing figure and derives delivery from the counts', () => {
    const md = renderMarkdown(sparseRun());
    const [first, second] = tableRows(md, 'Message round trip');
    expect(first?.slice(2)).toEqual(['– / – / – ms · 30.0%', 'not measured', '– / – / – ms · 0.0%']);
    expect(second?.[1]).toBe('ICE-TCP');
    const video = tableRows(md, 'Video');
    expect(video[0]?.slice(2)).toEqual(['udp host→host', '–', '–', '–', '–', '–', '–']);
    expect(video[1]?.slice(2, 5)).toEqual(['–', '–', '1 (– s)']);
  });

  it('leaves a gap with a – label in the charts instead of a bar', () => {
    const html = renderHtml(sparseRun());
    // Two profiles × three transports per chart, seven charts; the run has two measurements.
    expect(html.match(/not measured<\/title>–<\/text>/g)?.length).toBeGreaterThanOrEqual(7 * 4);
  });
});
