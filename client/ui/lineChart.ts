// What the stats panel's uPlot line charts share: the look (axes, colours, height) and
// the options of a chart of the last minute, with "now" at the right edge.
import type uPlot from 'uplot';
import { el } from './dom.js';

/** Line colours in the order series first appear. */
export const COLOURS = ['#4f8cff', '#3ecf8e', '#f0b429', '#c678dd', '#56b6c2', '#ff8a65', '#a3be8c', '#e06c75'];
const AXIS_FONT = '11px system-ui, sans-serif';
const TICK_SIZE = 4;
/** uPlot's space between a tick and its label. */
const LABEL_GAP = 5;
const AXIS = { stroke: '#9aa1b2', font: AXIS_FONT, gap: LABEL_GAP, grid: { stroke: '#2e3340', width: 1 }, ticks: { stroke: '#2e3340', width: 1, size: TICK_SIZE } };
export const CHART_HEIGHT = 96;
/** The narrowest y axis, so charts with short labels still line up. */
const MIN_Y_AXIS = 30;

/**
 * The y axis's width in CSS pixels for its labels: a fixed width cut "1,000" to ",000", so
 * it fits the widest label (plus tick, gap and a pixel of slack) as uPlot asks each redraw.
 */
export function yAxisSize(labels: readonly string[] | null, textWidth: (label: string) => number): number {
  const widest = Math.max(0, ...(labels ?? []).map((label) => textWidth(label)));
  return Math.max(MIN_Y_AXIS, Math.ceil(widest) + TICK_SIZE + LABEL_GAP + 2);
}

let measureContext: CanvasRenderingContext2D | null | undefined;
function axisTextWidth(label: string): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return label.length * 7;
  measureContext.font = AXIS_FONT;
  return measureContext.measureText(label).width;
}

export interface LineChartSpec {
  width: number;
  /** Seconds of history on the x axis (x values are seconds before now, negative). */
  windowSeconds: number;
  /** The y axis reaches at least this far, so a quiet line is not drawn as a wild one. */
  minMax: number;
  series: { label: string; stroke: string }[];
}

export function lineChartOptions(spec: LineChartSpec): uPlot.Options {
  return {
    width: spec.width,
    height: CHART_HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    padding: [8, 14, 0, 0],
    scales: {
      x: { time: false, range: [-spec.windowSeconds, 0] },
      y: { range: (_u, _min, max) => [0, Math.max(spec.minMax, Math.ceil((max ?? 0) * 1.2))] },
    },
    axes: [
      { ...AXIS, size: 24, values: (_u, splits) => splits.map((v) => (v === 0 ? 'now' : `${v}s`)) },
      {
        ...AXIS,
        size: (u, values) => {
          // The labels drawn, for tests and tools that check they fit (the canvas hides them).
          if (values) u.root.dataset.yLabels = JSON.stringify(values);
          return yAxisSize(values, axisTextWidth);
        },
      },
    ],
    series: [{}, ...spec.series.map(({ label, stroke }) => ({ label, stroke, width: 1.5, spanGaps: false, points: { show: false } }))],
  };
}

/** A legend's colour sample. */
export function swatch(colour: string): HTMLElement {
  const span = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  span.style.background = colour;
  return span;
}
