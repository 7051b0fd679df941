// The stats panel's message-latency section: the round trip of every probe of the last
// minute on the three paths side by side in one chart, and per path its p50/p95/p99 and
// the share of probes answered within 2 s.
import uPlot from 'uplot';
import { el } from './dom.js';
import { CHART_HEIGHT, COLOURS, lineChartOptions, swatch } from './lineChart.js';
import { formatFigure } from './participantStats.js';
import { PROBE_DEADLINE_MS, PROBE_PATHS, PROBE_WINDOW_MS, type ProbePath, type ProbeSample, type ProbeSummary } from '../call/stats/probes.js';

export const PROBE_PATH_NAMES: Record<ProbePath, string> = {
  signaling: 'Signaling (WebSocket)',
  reliable: 'Data channel, reliable',
  unreliable: 'Data channel, unreliable',
};

/** What the section draws: the figures and the samples, with `now` on the samples' clock. */
export interface ProbeView {
  summary: ProbeSummary;
  now: number;
  samples: Record<ProbePath, ProbeSample[]>;
}

const TITLE = 'Message round trip';

export class ProbeChart {
  readonly element: HTMLElement;
  private readonly target = el('div', { class: 'chart-canvas' });
  private readonly rows = new Map<ProbePath, Record<'p50' | 'p95' | 'p99' | 'delivery', HTMLElement>>();
  private chart: uPlot | undefined;
  private width = 0;

  constructor() {
    const colour = (i: number): string => COLOURS[i] ?? '#ffffff';
    const body = el('tbody');
    PROBE_PATHS.forEach((path, i) => {
      const cell = (metric: string): HTMLElement => el('td', { 'data-metric': metric });
      const cells = { p50: cell('p50'), p95: cell('p95'), p99: cell('p99'), delivery: cell('delivery') };
      this.rows.set(path, cells);
      body.append(el('tr', { 'data-testid': 'probe-row', 'data-path': path }, el('th', { scope: 'row' }, swatch(colour(i)), PROBE_PATH_NAMES[path]), cells.p50, cells.p95, cells.p99, cells.delivery));
    });
    this.element = el(
      'section',
      { class: 'probe-section', 'data-testid': 'probe-section' },
      el('figure', { class: 'chart', 'data-chart': TITLE }, el('figcaption', {}, TITLE, el('span', { class: 'figure-unit' }, 'ms')), this.target),
      el(
        'table',
        { class: 'stats-table probe-table' },
        el('thead', {}, el('tr', {}, el('th', { title: 'Round trips over the last minute, ms' }, 'Path (ms, last min)'), el('th', {}, 'p50'), el('th', {}, 'p95'), el('th', {}, 'p99'), el('th', { title: `Answered within ${PROBE_DEADLINE_MS / 1000} s` }, 'Deliv. %'))),
        body,
      ),
    );
  }

  update(view: ProbeView | undefined): void {
    for (const path of PROBE_PATHS) {
      const cells = this.rows.get(path);
      const f = view?.summary[path];
      if (!cells) continue;
      cells.p50.textContent = formatFigure(f?.p50Ms, 1);
      cells.p95.textContent = formatFigure(f?.p95Ms, 1);
      cells.p99.textContent = formatFigure(f?.p99Ms, 1);
      cells.delivery.textContent = formatFigure(f?.deliveryRatio === undefined ? undefined : f.deliveryRatio * 100, 1);
    }
    if (!view || this.width <= 0) return;
    // Every path is probed at the same ticks, so the three series share their x values.
    const times = [...new Set(PROBE_PATHS.flatMap((p) => view.samples[p].map((s) => s.sentAt)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      times.map((t) => (t - view.now) / 1000),
      ...PROBE_PATHS.map((p) => {
        const byTime = new Map(view.samples[p].map((s) => [s.sentAt, s.rttMs ?? null]));
        return times.map((t) => byTime.get(t) ?? null);
      }),
    ];
    if (this.chart) this.chart.setData(data);
    else this.chart = new uPlot(this.options(), data, this.target);
  }

  resize(width: number): void {
    const rounded = Math.floor(width);
    if (rounded <= 0 || rounded === this.width) return;
    this.width = rounded;
    this.chart?.setSize({ width: rounded, height: CHART_HEIGHT });
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.update(undefined);
  }

  private options(): uPlot.Options {
    return lineChartOptions({
      width: this.width,
      windowSeconds: PROBE_WINDOW_MS / 1000,
      minMax: 10,
      series: PROBE_PATHS.map((p, i) => ({ label: PROBE_PATH_NAMES[p], stroke: COLOURS[i] ?? '#ffffff' })),
    });
  }
}
