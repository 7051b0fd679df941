// The call-quality side panel: charts of the last minute, every figure of each link (this
// page's uplink and what arrives from each participant) beside what the server sees, the
// message latency of the signaling socket and the data channels, the exports, and for
// admins the impairment controls.
import type { ServerStreamStats } from '../../signaling/protocol.js';
import { el, icon } from './dom.js';
import { closeIcon, downloadIcon } from './icons.js';
import { ImpairmentForm, type ApplyImpairment, type ImpairmentTarget } from './impairmentForm.js';
import { ParticipantStats } from './participantStats.js';
import { ProbeChart, type ProbeView } from './probeChart.js';
import { QualityCharts } from './qualityCharts.js';
import { UPLINK_SERIES, type QualitySample } from '../call/stats/history.js';
import { serverFigures, type QualityReport } from '../call/stats/report.js';

export type ExportFormat = 'json' | 'csv';

export interface StatsPanelActions {
  close(): void;
  export(format: ExportFormat): void;
  setImpairment: ApplyImpairment;
}

/** Everything the panel shows, read from the Call by the page. */
export interface StatsView {
  report: QualityReport | undefined;
  samples: ReadonlyMap<string, readonly QualitySample[]>;
  /** This page's participant id, once joined. */
  selfId: string | undefined;
  participants: readonly ImpairmentTarget[];
  /** The server's latest figures for this participant. */
  server: readonly ServerStreamStats[];
  /** The message-latency probe's figures, while connected. */
  probes: ProbeView | undefined;
}

export const UPLINK_NAME = 'You (uplink)';

export class StatsPanel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly charts = new QualityCharts();
  private readonly probes = new ProbeChart();
  private readonly list = el('div', { class: 'stats-participants' });
  private readonly impairment: ImpairmentForm;
  private uplink: ParticipantStats | undefined;
  private readonly remotes = new Map<string, ParticipantStats>();
  /** Names of everyone seen, so the charts still label someone who just left. */
  private readonly knownNames = new Map<string, string>([[UPLINK_SERIES, UPLINK_NAME]]);

  constructor(actions: StatsPanelActions) {
    const close = el('button', { type: 'button', class: 'icon-button', title: 'Close', 'aria-label': 'Close stats' }, icon(closeIcon));
    close.addEventListener('click', () => actions.close());
    const exportButton = (format: ExportFormat): HTMLButtonElement => {
      const button = el('button', { type: 'button', class: 'ghost', 'data-testid': `export-${format}` }, icon(downloadIcon), `Export ${format.toUpperCase()}`);
      button.addEventListener('click', () => actions.export(format));
      return button;
    };
    this.impairment = new ImpairmentForm(actions.setImpairment);
    this.impairment.element.hidden = true;
    // Focusable, so the keyboard can scroll it (Chromium focuses scrollers anyway), and named.
    this.body = el('div', { class: 'stats-body', role: 'region', 'aria-label': 'Call quality figures', tabindex: '0' }, this.charts.element, this.probes.element, this.list, this.impairment.element);
    this.element = el(
      'aside',
      { class: 'stats-panel', 'data-testid': 'stats-panel', 'aria-label': 'Call quality' },
      el('header', { class: 'stats-header' }, el('h2', {}, 'Call quality'), el('div', { class: 'stats-tools' }, exportButton('json'), exportButton('csv'), close)),
      this.body,
    );
    this.element.hidden = true;
    new ResizeObserver(() => this.resizeCharts()).observe(this.body);
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
    if (open) this.resizeCharts();
  }

  /** Admins see the impairment controls. */
  setAdmin(admin: boolean): void {
    this.impairment.element.hidden = !admin;
  }

  /** The room's impairment in words, or undefined when off. */
  setImpairment(description: string | undefined): void {
    this.impairment.setCurrent(description);
  }

  /** A display name for every series key seen so far (for the exports). */
  names(): Record<string, string> {
    return Object.fromEntries(this.knownNames);
  }

  render(view: StatsView): void {
    for (const p of view.participants) this.knownNames.set(p.id, p.name);
    this.syncSections(view);
    const report = view.report;
    this.uplink?.update(report?.uplink, serverFigures(view.server, 'uplink'));
    for (const [id, section] of this.remotes) {
      section.update(report?.remotes.find((r) => r.participantId === id), serverFigures(view.server, { participantId: id }));
    }
    this.charts.update(view.samples, (key) => this.knownNames.get(key) ?? 'Someone who left', report?.at ?? Date.now(), [UPLINK_SERIES, ...view.participants.map((p) => p.id)]);
    this.probes.update(view.probes);
    this.impairment.setTargets([...(view.selfId ? [{ id: view.selfId, name: 'You' }] : []), ...view.participants]);
  }

  /** Forgets the call: sections, charts, names. */
  clear(): void {
    this.uplink?.element.remove();
    this.uplink = undefined;
    for (const section of this.remotes.values()) section.element.remove();
    this.remotes.clear();
    this.charts.destroy();
    this.probes.destroy();
    this.knownNames.clear();
    this.knownNames.set(UPLINK_SERIES, UPLINK_NAME);
    this.setAdmin(false);
  }

  /** One section for the uplink, then one per participant, in the room's order. */
  private syncSections(view: StatsView): void {
    const selfId = view.selfId ?? 'self';
    if (this.uplink?.participantId !== selfId) {
      this.uplink?.element.remove();
      this.uplink = new ParticipantStats(selfId, 'uplink');
      this.uplink.setName(UPLINK_NAME);
    }
    const present = new Set(view.participants.map((p) => p.id));
    for (const [id, section] of this.remotes) {
      if (present.has(id)) continue;
      section.element.remove();
      this.remotes.delete(id);
    }
    const ordered = [this.uplink.element];
    for (const p of view.participants) {
      let section = this.remotes.get(p.id);
      if (!section) {
        section = new ParticipantStats(p.id, 'downlink');
        this.remotes.set(p.id, section);
      }
      section.setName(p.name);
      ordered.push(section.element);
    }
    // Re-appending in order moves only what is out of place.
    ordered.forEach((element, i) => {
      if (this.list.children[i] !== element) this.list.insertBefore(element, this.list.children[i] ?? null);
    });
  }

  private resizeCharts(): void {
    const width = this.chartWidth();
    this.charts.resize(width);
    this.probes.resize(width);
  }

  private chartWidth(): number {
    const style = getComputedStyle(this.body);
    return this.body.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  }
}
