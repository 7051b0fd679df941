// One link's full figures in the stats panel: the browser's per stream (audio, video),
// the path (round trip, UDP or TCP, candidate types, relayed or direct), and what the
// server sees of the same streams in the same columns, so the two can be compared.
import type { MediaKind } from '../../signaling/protocol.js';
import { el } from './dom.js';
import { QualityBadge } from './qualityBadge.js';
import type { LinkQuality, ServerFigures } from '../call/stats/report.js';
import type { StreamFigures } from '../call/stats/rtpStreams.js';
import type { TransportFigures } from '../call/stats/transport.js';

/** The uplink is what this page sends; a downlink what arrives from one participant. */
export type LinkDirection = 'uplink' | 'downlink';

const KINDS: readonly MediaKind[] = ['audio', 'video'];

type ServerByKind = Partial<Record<MediaKind, ServerFigures>>;

interface Row<T> {
  label: string;
  /** The cell's data-metric: what tests and people look for. */
  metric: string;
  read: (figures: T) => number | undefined;
  digits: number;
  /** Shown only for this direction. */
  only?: LinkDirection;
  /** Left empty for the other kind (video-only figures). */
  kinds?: readonly MediaKind[];
}

const BROWSER_ROWS: Row<StreamFigures>[] = [
  { label: 'Bitrate (kbps)', metric: 'bitrate', read: (s) => s.bitrateKbps, digits: 0 },
  { label: 'Loss (%)', metric: 'loss', read: (s) => s.lossPercent, digits: 1 },
  { label: 'Loss, last report (%)', metric: 'fraction-lost', read: (s) => s.fractionLostPercent, digits: 1, only: 'uplink' },
  { label: 'Jitter (ms)', metric: 'jitter', read: (s) => s.jitterMs, digits: 1 },
  { label: 'Jitter buffer (ms)', metric: 'jitter-buffer', read: (s) => s.jitterBufferMs, digits: 0, only: 'downlink' },
  { label: 'RTT, RTCP (ms)', metric: 'rtt', read: (s) => s.rttMs, digits: 0, only: 'uplink' },
  { label: 'Frames/s', metric: 'fps', read: (s) => s.fps, digits: 0, kinds: ['video'] },
  { label: 'Freezes', metric: 'freezes', read: (s) => s.freezeCount, digits: 0, only: 'downlink', kinds: ['video'] },
  { label: 'NACKs', metric: 'nack', read: (s) => s.nackCount, digits: 0 },
  { label: 'PLIs', metric: 'pli', read: (s) => s.pliCount, digits: 0, kinds: ['video'] },
];

const SERVER_ROWS: Row<ServerFigures>[] = [
  { label: 'Loss (%)', metric: 'loss', read: (s) => s.lossPercent, digits: 1 },
  { label: 'Jitter (ms)', metric: 'jitter', read: (s) => s.jitterMs, digits: 1 },
  { label: 'RTT (ms)', metric: 'rtt', read: (s) => s.rttMs, digits: 0, only: 'downlink' },
  { label: 'Dropped by impairment', metric: 'impairment-dropped', read: (s) => s.impairmentDropped, digits: 0, only: 'downlink' },
];

/** A figure as the panel shows it: a plain number, or empty when not measured. */
export function formatFigure(value: number | undefined, digits: number): string {
  return value === undefined ? '' : value.toFixed(digits);
}

export class ParticipantStats {
  readonly element: HTMLElement;
  private readonly title = el('h3', { class: 'stats-name' });
  private readonly badge = new QualityBadge('panel-quality-badge', 'inline');
  private readonly summary: Record<'rtt' | 'loss' | 'jitter', HTMLElement>;
  private readonly transport = el('p', { class: 'stats-transport', 'data-info': 'transport' });
  /** One per figure cell: shows its figure of the latest report. */
  private readonly updaters: ((link: LinkQuality | undefined, server: ServerByKind) => void)[] = [];
  private name = '';

  constructor(
    readonly participantId: string,
    private readonly direction: LinkDirection,
  ) {
    this.summary = { rtt: metricValue('rtt'), loss: metricValue('loss'), jitter: metricValue('jitter') };
    this.element = el(
      'section',
      { class: 'stats-participant', 'data-testid': 'stats-participant', 'data-participant-id': participantId, 'data-link': direction },
      el('header', { class: 'stats-participant-header' }, this.title, this.badge.element),
      el(
        'div',
        { class: 'stats-summary' },
        summaryFigure('Round trip', this.summary.rtt, 'ms'),
        summaryFigure('Loss', this.summary.loss, '%'),
        summaryFigure('Jitter', this.summary.jitter, 'ms'),
      ),
      this.transport,
      this.table(),
    );
  }

  setName(name: string): void {
    this.name = name;
    this.title.textContent = name;
  }

  update(link: LinkQuality | undefined, server: ServerByKind): void {
    this.badge.update(link, this.direction === 'uplink' ? 'from you to the server (uplink)' : `from ${this.name}`);
    this.summary.rtt.textContent = formatFigure(link?.rttMs, 0);
    this.summary.loss.textContent = formatFigure(link?.lossPercent, 1);
    this.summary.jitter.textContent = formatFigure(link?.jitterMs, 1);
    this.transport.replaceChildren(...transportParts(link?.transport));
    for (const update of this.updaters) update(link, server);
  }

  private table(): HTMLTableElement {
    const body = el('tbody');
    const rows = <T>(list: Row<T>[], source: 'browser' | 'server', figures: (link: LinkQuality | undefined, server: ServerByKind, kind: MediaKind) => T | undefined): void => {
      for (const row of list) {
        if (row.only && row.only !== this.direction) continue;
        const tr = el('tr', {}, el('th', { scope: 'row' }, row.label));
        for (const kind of KINDS) {
          const applies = !row.kinds || row.kinds.includes(kind);
          const cell = el('td', applies ? { 'data-metric': row.metric, 'data-kind': kind, 'data-source': source } : { class: 'not-applicable' });
          tr.append(cell);
          if (!applies) continue;
          this.updaters.push((link, server) => {
            const value = figures(link, server, kind);
            cell.textContent = value === undefined ? '' : formatFigure(row.read(value), row.digits);
          });
        }
        body.append(tr);
      }
    };
    rows(BROWSER_ROWS, 'browser', (link, _server, kind) => link?.[kind]);
    body.append(this.textRow('Resolution', 'resolution', (s) => (s.width && s.height ? `${s.width}×${s.height}` : ''), ['video']));
    body.append(this.textRow('Codec', 'codec', (s) => (s.codec ?? '').replace(/^(audio|video)\//, '').toUpperCase()));
    body.append(el('tr', { class: 'stats-subhead' }, el('th', { colspan: '3', scope: 'rowgroup' }, 'What the server sees')));
    rows(SERVER_ROWS, 'server', (_link, server, kind) => server[kind]);
    return el('table', { class: 'stats-table' }, el('thead', {}, el('tr', {}, el('th'), el('th', { scope: 'col' }, 'Audio'), el('th', { scope: 'col' }, 'Video'))), body);
  }

  private textRow(label: string, info: string, read: (s: StreamFigures) => string, kinds: readonly MediaKind[] = KINDS): HTMLTableRowElement {
    const tr = el('tr', {}, el('th', { scope: 'row' }, label));
    for (const kind of KINDS) {
      const cell = el('td', kinds.includes(kind) ? { 'data-info': info, 'data-kind': kind } : { class: 'not-applicable' });
      tr.append(cell);
      if (!kinds.includes(kind)) continue;
      this.updaters.push((link) => {
        const stream = link?.[kind];
        cell.textContent = stream ? read(stream) : '';
      });
    }
    return tr;
  }
}

function metricValue(metric: string): HTMLElement {
  return el('span', { class: 'figure-value', 'data-metric': metric, 'data-source': 'browser' });
}

function summaryFigure(label: string, value: HTMLElement, unit: string): HTMLElement {
  return el('div', { class: 'stats-figure' }, el('span', { class: 'figure-label' }, label), el('span', { class: 'figure-line' }, value, el('span', { class: 'figure-unit' }, unit)));
}

/** "UDP · host → host · direct", each part marked for tests. */
function transportParts(transport: TransportFigures | undefined): (Node | string)[] {
  if (!transport) return [el('span', { class: 'muted' }, 'No connection path selected yet')];
  const relay = transport.relayed ? `relay${transport.relayProtocol ? ` over ${transport.relayProtocol.toUpperCase()}` : ''}` : 'direct';
  return [
    el('span', { 'data-info': 'protocol' }, (transport.protocol ?? '?').toUpperCase()),
    ' · ',
    el('span', { 'data-info': 'local-candidate', title: 'This browser’s candidate type' }, transport.localCandidateType ?? '?'),
    ' → ',
    el('span', { 'data-info': 'remote-candidate', title: 'The server’s candidate type' }, transport.remoteCandidateType ?? '?'),
    ' · ',
    el('span', { 'data-info': 'relay', 'data-relayed': String(transport.relayed) }, relay),
  ];
}
