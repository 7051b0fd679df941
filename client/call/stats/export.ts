// The collected samples as files people can keep: JSON with everything, CSV with one
// row per series and moment for spreadsheets. Pure functions; the page does the download.
import type { MediaKind } from '../../../signaling/protocol.js';
import { HISTORY_WINDOW_MS, type QualitySample } from './history.js';
import { GOOD_QUALITY, POOR_QUALITY } from './quality.js';
import type { StreamFigures } from './rtpStreams.js';

export interface QualityExport {
  room: string;
  /** ms since the epoch. */
  exportedAt: number;
  /** A display name for each series key. */
  names: Readonly<Record<string, string>>;
  series: ReadonlyMap<string, readonly QualitySample[]>;
}

export function qualityToJson(input: QualityExport): string {
  return JSON.stringify(
    {
      room: input.room,
      exportedAt: new Date(input.exportedAt).toISOString(),
      windowMs: HISTORY_WINDOW_MS,
      thresholds: { good: GOOD_QUALITY, poor: POOR_QUALITY },
      series: [...input.series].map(([key, samples]) => ({ key, name: input.names[key] ?? key, samples })),
    },
    null,
    2,
  );
}

type Cell = string | number | boolean | undefined;
type Column = [header: string, value: (s: QualitySample) => Cell];

const STREAM_FIELDS: [string, keyof StreamFigures][] = [
  ['bitrate_kbps', 'bitrateKbps'],
  ['loss_percent', 'lossPercent'],
  ['fraction_lost_percent', 'fractionLostPercent'],
  ['jitter_ms', 'jitterMs'],
  ['jitter_buffer_ms', 'jitterBufferMs'],
  ['rtt_ms', 'rttMs'],
  ['fps', 'fps'],
  ['width', 'width'],
  ['height', 'height'],
  ['freezes', 'freezeCount'],
  ['nacks', 'nackCount'],
  ['plis', 'pliCount'],
  ['codec', 'codec'],
];

const streamColumns = (kind: MediaKind): Column[] => STREAM_FIELDS.map(([name, field]) => [`${kind}_${name}`, (s) => s[kind]?.[field]]);
const serverColumns = (kind: MediaKind): Column[] => [
  [`server_${kind}_loss_percent`, (s) => s.server?.[kind]?.lossPercent],
  [`server_${kind}_jitter_ms`, (s) => s.server?.[kind]?.jitterMs],
  [`server_${kind}_rtt_ms`, (s) => s.server?.[kind]?.rttMs],
];

const COLUMNS: Column[] = [
  ['quality', (s) => s.quality],
  ['loss_percent', (s) => s.lossPercent],
  ['jitter_ms', (s) => s.jitterMs],
  ['rtt_ms', (s) => s.rttMs],
  ...streamColumns('audio'),
  ...streamColumns('video'),
  ['transport_protocol', (s) => s.transport?.protocol],
  ['local_candidate', (s) => s.transport?.localCandidateType],
  ['remote_candidate', (s) => s.transport?.remoteCandidateType],
  ['relayed', (s) => s.transport?.relayed],
  ['relay_protocol', (s) => s.transport?.relayProtocol],
  ...serverColumns('audio'),
  ...serverColumns('video'),
];

/** One row per series and sample, ordered by time; empty cells for what was not measured. */
export function qualityToCsv(input: QualityExport): string {
  const rows: { at: number; cells: Cell[] }[] = [];
  for (const [key, samples] of input.series) {
    for (const sample of samples) {
      rows.push({ at: sample.at, cells: [new Date(sample.at).toISOString(), key, input.names[key] ?? key, ...COLUMNS.map(([, value]) => value(sample))] });
    }
  }
  rows.sort((a, b) => a.at - b.at);
  const header = ['time', 'series', 'name', ...COLUMNS.map(([name]) => name)];
  return [header, ...rows.map((r) => r.cells)].map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(value: Cell): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(Math.round(value * 1000) / 1000);
  if (typeof value === 'boolean') return String(value);
  // A leading = + - @ would make a spreadsheet run a participant's name as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
