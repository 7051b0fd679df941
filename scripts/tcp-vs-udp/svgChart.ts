// Grouped bar charts as inline SVG strings, for the self-contained TCP vs UDP report: no
// chart library and nothing fetched, so the HTML file can be mailed or archived as is.
// Text widths are estimated (no layout engine here), with room to spare.

/** One bar per series in every group, in this order, in this colour. */
export interface ChartSeries {
  name: string;
  color: string;
}

/** A cluster of bars on the x axis; `values[i]` belongs to `series[i]`, undefined = not measured. */
export interface ChartGroup {
  label: string;
  values: readonly (number | undefined)[];
}

export interface BarChartSpec {
  /** For screen readers (the visible title is the page's caption). */
  title: string;
  /** Beside the y axis, including the scale, e.g. `ms, log scale`. */
  axisLabel: string;
  /** Log for round trips, which span 1 ms to seconds once TCP retransmits. */
  scale: 'linear' | 'log';
  series: readonly ChartSeries[];
  groups: readonly ChartGroup[];
  /** The label printed above each bar. */
  format: (value: number) => string;
  /** A fixed top of the axis (100 for percentages); otherwise taken from the data. */
  max?: number;
}

/** Escapes text for HTML and SVG content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const FONT_PX = 11;
const VALUE_FONT_PX = 10;
/** Average glyph width of a sans-serif font relative to its size, on the generous side. */
const GLYPH = 0.62;
const BAR_W = 30;
const BAR_GAP = 4;
const GROUP_PAD = 30;
const MARGIN = { left: 58, right: 16, top: 50, bottom: 6 };
const PLOT_H = 220;
const LINE_H = 13;
const MAX_LABEL_LINES = 4;
/** Wide enough for a profile label of a few words even when there is a single series. */
const MIN_GROUP_W = 110;

const textWidth = (text: string, px: number): number => text.length * px * GLYPH;
/** Rounds coordinates so the markup stays short and diffable. */
const r = (n: number): string => String(Math.round(n * 10) / 10);

/** Maps a value to a fraction of the plot height (0 = axis, 1 = top) and lists the ticks. */
interface Scale {
  fraction(value: number): number;
  ticks: number[];
}

const clamp01 = (n: number): number => Math.min(1, Math.max(0, n));

/** 1, 2 or 5 times a power of ten, so ticks read as round numbers. */
function niceStep(rough: number): number {
  const decade = 10 ** Math.floor(Math.log10(rough));
  const m = rough / decade;
  return decade * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

function linearScale(dataMax: number, fixedMax?: number): Scale {
  const top = fixedMax ?? (dataMax > 0 ? dataMax : 1);
  const step = niceStep(top / 5);
  const max = fixedMax ?? Math.ceil(top / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 1000; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return { fraction: (v) => clamp01(v / max), ticks };
}

/** Whole decades around the data; the bottom is a decade below the smallest value so it still shows a bar. */
function logScale(positives: number[]): Scale {
  const lo = positives.length > 0 ? 10 ** (Math.ceil(Math.log10(Math.min(...positives))) - 1) : 1;
  const hiRaw = positives.length > 0 ? 10 ** Math.ceil(Math.log10(Math.max(...positives))) : 10;
  const hi = Math.max(hiRaw, lo * 10);
  const span = Math.log10(hi / lo);
  const ticks: number[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    // Few decades leave room for 2 and 5 between them, which makes the bars easier to read.
    for (const m of span <= 2 ? [1, 2, 5] : [1]) if (d * m <= hi * 1.0001) ticks.push(Number((d * m).toPrecision(6)));
  }
  return { fraction: (v) => (v <= 0 ? 0 : clamp01(Math.log10(v / lo) / span)), ticks };
}

function scaleFor(spec: BarChartSpec): Scale {
  const values = spec.groups.flatMap((g) => g.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (spec.scale === 'log') return logScale(values.filter((v) => v > 0));
  return linearScale(Math.max(0, ...values), spec.max);
}

/** Splits a label into at most `maxLines` lines of about `maxChars`, ending in `…` when cut. */
function wrapLabel(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && (current + ' ' + word).length > maxChars) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines.map((l) => (l.length > maxChars ? `${l.slice(0, maxChars - 1)}…` : l));
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1] ?? '';
  kept[maxLines - 1] = `${last.slice(0, Math.max(1, maxChars - 1))}…`;
  return kept;
}

const tickLabel = (v: number): string => (v >= 1 ? String(Math.round(v)) : String(v));

/** Colour swatches with series names across the top, wrapping when they run out of width. */
function legend(series: readonly ChartSeries[], width: number): string {
  let x = MARGIN.left;
  let y = 14;
  const parts: string[] = [];
  // Equal-width items: estimated text widths would make the gaps uneven.
  const w = 16 + Math.max(0, ...series.map((s) => textWidth(s.name, FONT_PX))) + 8;
  for (const s of series) {
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      y += 16;
    }
    parts.push(`<rect x="${r(x)}" y="${y - 9}" width="11" height="11" rx="2" fill="${escapeHtml(s.color)}"/>`);
    parts.push(`<text x="${r(x + 16)}" y="${y}">${escapeHtml(s.name)}</text>`);
    x += w;
  }
  return parts.join('');
}

function axes(scale: Scale, plotW: number, axisLabel: string): string {
  const bottom = MARGIN.top + PLOT_H;
  const parts: string[] = [];
  for (const t of scale.ticks) {
    const y = bottom - scale.fraction(t) * PLOT_H;
    parts.push(`<line x1="${MARGIN.left}" x2="${r(MARGIN.left + plotW)}" y1="${r(y)}" y2="${r(y)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${r(y + 4)}" text-anchor="end" fill="#444">${escapeHtml(tickLabel(t))}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${bottom}" stroke="#666"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${r(MARGIN.left + plotW)}" y1="${bottom}" y2="${bottom}" stroke="#666"/>`);
  const midY = MARGIN.top + PLOT_H / 2;
  parts.push(`<text transform="translate(14 ${r(midY)}) rotate(-90)" text-anchor="middle" fill="#444">${escapeHtml(axisLabel)}</text>`);
  return parts.join('');
}

/** A bar with its value above it, or (no value) a gap with a small dash on the axis. */
function bar(x: number, value: number | undefined, series: ChartSeries, group: string, spec: BarChartSpec, scale: Scale): string {
  const bottom = MARGIN.top + PLOT_H;
  const cx = x + BAR_W / 2;
  if (value === undefined || !Number.isFinite(value)) {
    return `<text x="${r(cx)}" y="${bottom - 4}" text-anchor="middle" font-size="13" fill="#777"><title>${escapeHtml(`${group}, ${series.name}: not measured`)}</title>–</text>`;
  }
  const h = scale.fraction(value) * PLOT_H;
  const label = spec.format(value);
  // Long labels shrink rather than run into the neighbouring bar's.
  const px = textWidth(label, VALUE_FONT_PX) > BAR_W + BAR_GAP ? 8.5 : VALUE_FONT_PX;
  const tooltip = `<title>${escapeHtml(`${group}, ${series.name}: ${label}`)}</title>`;
  return (
    `<rect x="${r(x)}" y="${r(bottom - h)}" width="${BAR_W}" height="${r(h)}" fill="${escapeHtml(series.color)}">${tooltip}</rect>` +
    `<text x="${r(cx)}" y="${r(bottom - h - 4)}" text-anchor="middle" font-size="${px}" fill="#222">${escapeHtml(label)}</text>`
  );
}

/** The groups' bars and, under the axis, their wrapped labels; returns the markup and the label height used. */
function groups(spec: BarChartSpec, scale: Scale, groupW: number): { markup: string; labelLines: number } {
  const parts: string[] = [];
  let labelLines = 1;
  const maxChars = Math.max(6, Math.floor(groupW / (FONT_PX * GLYPH)));
  spec.groups.forEach((g, gi) => {
    const barsW = spec.series.length * (BAR_W + BAR_GAP) - BAR_GAP;
    const x0 = MARGIN.left + gi * groupW + (groupW - barsW) / 2;
    spec.series.forEach((s, si) => parts.push(bar(x0 + si * (BAR_W + BAR_GAP), g.values[si], s, g.label, spec, scale)));
    const lines = wrapLabel(g.label, maxChars, MAX_LABEL_LINES);
    labelLines = Math.max(labelLines, lines.length);
    const cx = MARGIN.left + gi * groupW + groupW / 2;
    const tspans = lines.map((l, i) => `<tspan x="${r(cx)}" dy="${i === 0 ? 0 : LINE_H}">${escapeHtml(l)}</tspan>`).join('');
    parts.push(`<text x="${r(cx)}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle"><title>${escapeHtml(g.label)}</title>${tspans}</text>`);
  });
  return { markup: parts.join(''), labelLines };
}

/** One `<svg>` element: legend on top, y axis with ticks and its label, a cluster of bars per group. */
export function renderBarChart(spec: BarChartSpec): string {
  const groupW = Math.max(MIN_GROUP_W, Math.max(spec.series.length, 1) * (BAR_W + BAR_GAP) - BAR_GAP + GROUP_PAD);
  const plotW = Math.max(groupW * spec.groups.length, 300);
  const width = MARGIN.left + plotW + MARGIN.right;
  const scale = scaleFor(spec);
  const body = groups(spec, scale, groupW);
  const height = MARGIN.top + PLOT_H + 16 + body.labelLines * LINE_H + MARGIN.bottom;
  return (
    `<svg viewBox="0 0 ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" role="img" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT_PX}" fill="#222">` +
    `<title>${escapeHtml(spec.title)}</title>` +
    legend(spec.series, width) +
    axes(scale, plotW, spec.axisLabel) +
    body.markup +
    `</svg>`
  );
}
