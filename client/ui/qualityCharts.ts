// The stats panel's charts: round-trip time, jitter and loss over the last minute, one
// line per link (the uplink and each remote participant), drawn with uPlot.
import uPlot from 'uplot';
import { el } from './dom.js';
import { CHART_HEIGHT, COLOURS, lineChartOptions, swatch } from './lineChart.js';
import { HISTORY_WINDOW_MS, type QualitySample } from '../call/stats/history.js';

interface ChartSpec {
  title: string;
  unit: string;
  read: (sample: QualitySample) => number | undefined;
  /** The y axis reaches at least this far, so a quiet line is not drawn as a wild one. */
  minMax: number;
}

const CHARTS: ChartSpec[] = [
  { title: 'Latency (round trip)', unit: 'ms', read: (s) => s.rttMs, minMax: 50 },
  { title: 'Jitter', unit: 'ms', read: (s) => s.jitterMs, minMax: 10 },
  { title: 'Packet loss', unit: '%', read: (s) => s.lossPercent, minMax: 5 },
];

export class QualityCharts {
  readonly element: HTMLElement;
  private readonly legend = el('ul', { class: 'chart-legend' });
  private readonly slots: { spec: ChartSpec; target: HTMLElement; chart: uPlot | undefined }[];
  private readonly colours = new Map<string, string>();
  private keys: string[] = [];
  private width = 0;

  constructor() {
    this.slots = CHARTS.map((spec) => ({ spec, target: el('div', { class: 'chart-canvas' }), chart: undefined }));
    this.element = el(
      'div',
      { class: 'quality-charts' },
      this.legend,
      ...this.slots.map(({ spec, target }) =>
        el('figure', { class: 'chart', 'data-chart': spec.title }, el('figcaption', {}, spec.title, el('span', { class: 'figure-unit' }, spec.unit)), target),
      ),
    );
  }

  /**
   * Redraws from the last minute of samples; `names` labels each series. Series follow
   * `order` (the uplink, then the room's order, as the sections below the charts), then
   * anyone who left, so the legend reads the same whenever and wherever it is drawn.
   */
  update(samples: ReadonlyMap<string, readonly QualitySample[]>, names: (key: string) => string, now: number, order: readonly string[] = []): void {
    const keys = [...order.filter((key) => samples.has(key)), ...[...samples.keys()].filter((key) => !order.includes(key)).sort()];
    for (const key of keys) if (!this.colours.has(key)) this.colours.set(key, COLOURS[this.colours.size % COLOURS.length] ?? '#ffffff');
    this.legend.replaceChildren(
      ...keys.map((key) => el('li', { 'data-series': key }, swatch(this.colour(key)), names(key))),
    );
    const times = [...new Set([...samples.values()].flatMap((list) => list.map((s) => s.at)))].sort((a, b) => a - b);
    const x = times.map((t) => (t - now) / 1000);
    const seriesChanged = keys.join('\n') !== this.keys.join('\n');
    this.keys = keys;
    for (const slot of this.slots) {
      const data: uPlot.AlignedData = [
        x,
        ...keys.map((key) => {
          const byTime = new Map((samples.get(key) ?? []).map((s) => [s.at, slot.spec.read(s)]));
          return times.map((t) => byTime.get(t) ?? null);
        }),
      ];
      if (seriesChanged || !slot.chart) {
        slot.chart?.destroy();
        slot.chart = this.width > 0 ? new uPlot(this.options(slot.spec, keys, names), data, slot.target) : undefined;
      } else {
        slot.chart.setData(data);
      }
    }
  }

  /** Fits the charts to `width` CSS pixels (the panel's content width). */
  resize(width: number): void {
    const rounded = Math.floor(width);
    if (rounded <= 0 || rounded === this.width) return;
    this.width = rounded;
    for (const slot of this.slots) slot.chart?.setSize({ width: rounded, height: CHART_HEIGHT });
  }

  destroy(): void {
    for (const slot of this.slots) {
      slot.chart?.destroy();
      slot.chart = undefined;
    }
    this.keys = [];
  }

  private colour(key: string): string {
    return this.colours.get(key) ?? '#ffffff';
  }

  private options(spec: ChartSpec, keys: string[], names: (key: string) => string): uPlot.Options {
    return lineChartOptions({
      width: this.width,
      windowSeconds: HISTORY_WINDOW_MS / 1000,
      minMax: spec.minMax,
      series: keys.map((key) => ({ label: names(key), stroke: this.colour(key) })),
    });
  }
}
