// What the stats panel's uPlot line charts share: the look (axes, colours, height) and
// the options of a chart of the last minute, with "now" at the right edge.
import type uPlot from 'uplot';
import { el } from './dom.js';

/** Line colours in the order series first appear. */
export const COLOURS = ['#4f8cff', '#3ecf8e', '#f0b429', '#c678dd', '#56b6c2', '#ff8a65', '#a3be8c', '#e06c75'];
const AXIS = { stroke: '#9aa1b2', font: '11px system-ui, sans-serif', grid: { stroke: '#2e3340', width: 1 }, ticks: { stroke: '#2e3340', width: 1, size: 4 } };
export const CHART_HEIGHT = 96;

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
      { ...AXIS, size: 36 },
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
