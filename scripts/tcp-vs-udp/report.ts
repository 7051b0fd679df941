// The TCP vs UDP experiment's report: the same figures as a Markdown fragment (for the
// terminal, a README or a pull request) and as one self-contained HTML page with charts.
// Both are built from the same plain-text tables, so they cannot disagree.
import { PROBE_DEADLINE_MS, PROBE_PATHS, type ProbePath } from '../../client/call/stats/probes.js';
import type { ExperimentRun, Measurement, MediaTransport, ProbeFigures, VideoFigures } from './results.js';
import { escapeHtml, renderBarChart, type BarChartSpec, type ChartSeries } from './svgChart.js';

/** Printed for a value the run does not have. */
const MISSING = '–';
const TITLE = 'TCP vs UDP: message latency and video under impairment';

const TRANSPORT_LABELS: Record<MediaTransport, string> = { udp: 'UDP', tcp: 'ICE-TCP', turn: 'TURN/TCP' };
const PATH_LABELS: Record<ProbePath, string> = { signaling: 'WebSocket', reliable: 'DC reliable', unreliable: 'DC unreliable' };
/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const TRANSPORT_COLORS: Record<MediaTransport, string> = { udp: '#0072B2', tcp: '#E69F00', turn: '#009E73' };
const MODE_TEXT: Record<ExperimentRun['mode'], string> = {
  netns: 'netns (two network namespaces and a shaped link)',
  reduced: "reduced (loopback, impairment by the SFU itself, UDP only)",
};

// ---- Numbers -------------------------------------------------------------------------

const usable = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
const fixed = (v: number | undefined, digits: number): string => (usable(v) ? v.toFixed(digits) : MISSING);

/** A share as a percentage: `100%` only when nothing was lost, otherwise one decimal rounded down, so 99.96% never reads as 100. */
export function formatPercent(ratio: number | undefined): string {
  if (!usable(ratio)) return MISSING;
  if (ratio >= 1) return '100%';
  // The epsilon undoes binary fractions such as 0.29 * 1000 = 289.99999999999997.
  return `${(Math.floor(Math.max(0, ratio) * 1000 + 1e-6) / 10).toFixed(1)}%`;
}

/** The delivery ratio as recorded, or from the counts when an older file left it out; none when nothing was sent. */
function deliveryRatio(f: ProbeFigures): number | undefined {
  if (!(f.sent > 0)) return undefined;
  return usable(f.deliveryRatio) ? f.deliveryRatio : f.delivered / f.sent;
}

/** `52 / 61 / 260 ms · 100%`: round-trip p50 / p95 / p99 and the share answered in time. */
export function formatProbe(f: ProbeFigures | undefined): string {
  if (!f || !(f.sent > 0)) return 'not measured';
  const ms = [f.p50Ms, f.p95Ms, f.p99Ms].map((v) => fixed(v, 0)).join(' / ');
  return `${ms} ms · ${formatPercent(deliveryRatio(f))}`;
}

/** `2 (0.8 s)`: how often and for how long the video froze. */
function formatFreezes(v: VideoFigures): string {
  if (!usable(v.freezeCount) && !usable(v.freezeSeconds)) return MISSING;
  return `${fixed(v.freezeCount, 0)} (${fixed(v.freezeSeconds, 1)} s)`;
}

// ---- Order and lookup ----------------------------------------------------------------

/** The listed keys first, in their order, then any others the measurements bring, so no row is dropped. */
function ordered<T>(listed: readonly T[], seen: readonly T[]): T[] {
  return [...new Set([...listed, ...seen])];
}

const profileIds = (run: ExperimentRun): string[] => ordered(run.profiles.map((p) => p.id), run.measurements.map((m) => m.profileId));
const transports = (run: ExperimentRun): MediaTransport[] => ordered(run.transports, run.measurements.map((m) => m.transport));
const profileLabel = (run: ExperimentRun, id: string): string => run.profiles.find((p) => p.id === id)?.label ?? id;
const transportLabel = (t: MediaTransport): string => TRANSPORT_LABELS[t] ?? String(t);

/** Measurements by profile order, then transport order; a stable sort keeps duplicates as recorded. */
function orderedMeasurements(run: ExperimentRun): Measurement[] {
  const p = profileIds(run);
  const t = transports(run);
  return [...run.measurements].sort((a, b) => p.indexOf(a.profileId) - p.indexOf(b.profileId) || t.indexOf(a.transport) - t.indexOf(b.transport));
}

const find = (run: ExperimentRun, profileId: string, transport: MediaTransport): Measurement | undefined =>
  run.measurements.find((m) => m.profileId === profileId && m.transport === transport);

// ---- Tables as plain text, rendered twice ----------------------------------------------

interface TextTable {
  columns: { title: string; numeric?: boolean }[];
  rows: string[][];
}

function messageTable(run: ExperimentRun): TextTable {
  return {
    columns: [{ title: 'Profile' }, { title: 'Media transport' }, ...PROBE_PATHS.map((p) => ({ title: PATH_LABELS[p], numeric: true }))],
    rows: orderedMeasurements(run).map((m) => [
      profileLabel(run, m.profileId),
      transportLabel(m.transport),
      ...PROBE_PATHS.map((p) => formatProbe(m.probes?.[p])),
    ]),
  };
}

function videoTable(run: ExperimentRun): TextTable {
  const n = (title: string) => ({ title, numeric: true });
  return {
    columns: [{ title: 'Profile' }, { title: 'Media transport' }, { title: 'Path' }, n('fps'), n('Freezes'), n('Jitter buffer ms'), n('Loss %'), n('NACKs'), n('Link drop %')],
    rows: orderedMeasurements(run).map((m) => {
      const v: VideoFigures = m.video ?? {};
      return [
        profileLabel(run, m.profileId),
        transportLabel(m.transport),
        m.path || MISSING,
        fixed(v.fps, 1),
        formatFreezes(v),
        fixed(v.jitterBufferMs, 0),
        fixed(v.lossPercent, 1),
        fixed(v.nackCount, 0),
        fixed(m.linkLossPercent, 1),
      ];
    }),
  };
}

const deadline = `${PROBE_DEADLINE_MS / 1000} s`;
const MESSAGE_NOTE = `Each cell: probe round trip p50 / p95 / p99, and the share of probes answered within ${deadline}.`;
const VIDEO_NOTE = 'What one participant received from the other over the window. Link drop: the share of client→server packets the impaired link dropped (the loss actually applied).';

function headerFacts(run: ExperimentRun): [string, string][] {
  return [
    ['Mode', MODE_TEXT[run.mode] ?? String(run.mode)],
    ['Machine', run.machine],
    ['Window', `${fixed(run.windowSeconds, 0)} s per profile and transport`],
    ['Started', run.startedAt],
    ['Impairment', run.impairmentNote ?? 'applied to packets from the clients to the server'],
  ];
}

// ---- Markdown ------------------------------------------------------------------------

/** Backslash-escapes what would end a table cell or turn into markup; line breaks would end the row. */
const mdEscape = (text: string): string => text.replace(/[\\`*_[\]<>|]/g, '\\$&').replace(/\s*[\r\n]+\s*/g, ' ');

function markdownTable(t: TextTable): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(t.columns.map((c) => mdEscape(c.title))),
    line(t.columns.map((c) => (c.numeric ? '---:' : '---'))),
    ...t.rows.map((row) => line(row.map(mdEscape))),
  ].join('\n');
}

export function renderMarkdown(run: ExperimentRun): string {
  const facts = headerFacts(run).map(([k, v]) => `${k}: ${mdEscape(v)}`).join(' · ');
  const parts = [facts, '### Message round trip', MESSAGE_NOTE, markdownTable(messageTable(run)), '### Video', VIDEO_NOTE, markdownTable(videoTable(run))];
  if (run.notMeasured.length > 0) parts.push('### Not measured in this run', run.notMeasured.map((s) => `- ${mdEscape(s)}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

// ---- HTML ----------------------------------------------------------------------------

function htmlTable(t: TextTable): string {
  const cls = (numeric?: boolean): string => (numeric ? ' class="num"' : '');
  const head = t.columns.map((c) => `<th${cls(c.numeric)}>${escapeHtml(c.title)}</th>`).join('');
  const rows = t.rows.map((row) => `<tr>${row.map((cell, i) => `<td${cls(t.columns[i]?.numeric)}>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/** A chart per figure: one cluster per profile, one bar per transport. */
function chartOf(run: ExperimentRun, title: string, axisLabel: string, value: (m: Measurement) => number | undefined, opts: Pick<BarChartSpec, 'scale' | 'format' | 'max'>): BarChartSpec {
  const ts = transports(run);
  const series: ChartSeries[] = ts.map((t) => ({ name: transportLabel(t), color: TRANSPORT_COLORS[t] ?? '#777' }));
  const groups = profileIds(run).map((id) => ({
    label: profileLabel(run, id),
    values: ts.map((t) => {
      const m = find(run, id, t);
      return m ? value(m) : undefined;
    }),
  }));
  return { title, axisLabel, series, groups, ...opts };
}

/** A probe figure only counts when the path was measured at all. */
const probeValue = (path: ProbePath, pick: (f: ProbeFigures) => number | undefined) => (m: Measurement): number | undefined => {
  const f = m.probes?.[path];
  return f && f.sent > 0 ? pick(f) : undefined;
};

const deliveryPercent = (f: ProbeFigures): number | undefined => {
  const ratio = deliveryRatio(f);
  return ratio === undefined ? undefined : ratio * 100;
};
const oneDecimal = (v: number): string => v.toFixed(1);
const percentLabel = (v: number): string => formatPercent(v / 100).replace('%', '');

function messageCharts(run: ExperimentRun): BarChartSpec[] {
  const p99 = PROBE_PATHS.map((path) =>
    chartOf(run, `${PATH_LABELS[path]}: p99 round trip (ms)`, 'p99 round trip, ms (log scale)', probeValue(path, (f) => f.p99Ms), { scale: 'log', format: (v) => v.toFixed(0) }),
  );
  const delivery = (['unreliable', 'signaling'] as const).map((path) =>
    chartOf(run, `${PATH_LABELS[path]}: answered within ${deadline} (%)`, 'delivered, % (linear)', probeValue(path, deliveryPercent), {
      scale: 'linear',
      format: percentLabel,
      max: 100,
    }),
  );
  return [...p99, ...delivery];
}

function videoCharts(run: ExperimentRun): BarChartSpec[] {
  return [
    chartOf(run, 'Video: time frozen (s)', 'frozen, s (linear)', (m) => m.video?.freezeSeconds, { scale: 'linear', format: oneDecimal }),
    chartOf(run, 'Video: frames per second', 'fps (linear)', (m) => m.video?.fps, { scale: 'linear', format: oneDecimal }),
  ];
}

const figure = (spec: BarChartSpec): string => `<figure><figcaption>${escapeHtml(spec.title)}</figcaption>${renderBarChart(spec)}</figure>`;

const STYLE = `
body { margin: 0; background: #fff; color: #1b1b1b; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 6px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 0; }
.facts dt { color: #555; } .facts dd { margin: 0; }
.note { color: #555; margin: 0 0 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e2e2e2; text-align: left; white-space: nowrap; }
th { background: #f4f5f7; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafafa; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; padding: 10px 12px; border: 1px solid #e2e2e2; border-radius: 6px; overflow-x: auto; max-width: 100%; box-sizing: border-box; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure svg { display: block; }
`;

export function renderHtml(run: ExperimentRun): string {
  const facts = headerFacts(run).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const notMeasured = run.notMeasured.length > 0 ? `<h2>Not measured in this run</h2><ul>${run.notMeasured.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(TITLE)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(TITLE)}</h1>
<dl class="facts">${facts}</dl>
<h2>Message round trip</h2>
<p class="note">${escapeHtml(MESSAGE_NOTE)}</p>
${htmlTable(messageTable(run))}
<div class="charts">${messageCharts(run).map(figure).join('\n')}</div>
<h2>Video</h2>
<p class="note">${escapeHtml(VIDEO_NOTE)}</p>
${htmlTable(videoTable(run))}
<div class="charts">${videoCharts(run).map(figure).join('\n')}</div>
${notMeasured}
</main>
</body>
</html>
`;
}
