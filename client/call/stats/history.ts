// The last minute of quality samples, one series for this page's uplink and one per
// remote participant, in fixed-size ring buffers (so a long call uses no more memory).
import type { MediaKind } from '../../../signaling/protocol.js';
import { withoutUndefined } from './entries.js';
import { serverFigures, type LinkQuality, type QualityReport, type ServerFigures } from './report.js';

/** How much history the charts show and the exports hold. */
export const HISTORY_WINDOW_MS = 60_000;
/** Samples kept per series: a minute even at five samples a second. */
const SERIES_CAPACITY = 300;
/** The series key of this page's uplink; the others are participant ids. */
export const UPLINK_SERIES = 'uplink';

/** One link's figures at one moment: the browser's and, when known, the server's. */
export interface QualitySample extends LinkQuality {
  /** Wall-clock time, ms since the epoch. */
  at: number;
  server?: Partial<Record<MediaKind, ServerFigures>>;
}

/** A fixed-capacity buffer that overwrites its oldest item when full. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[(this.start + this.count) % this.capacity] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}

/** The samples a report adds: one for the uplink (if sending) and one per remote participant. */
export function samplesOf(report: QualityReport): [series: string, sample: QualitySample][] {
  const out: [string, QualitySample][] = [];
  const { at, server } = report;
  if (report.uplink) out.push([UPLINK_SERIES, withServer({ at, ...report.uplink }, serverFigures(server, 'uplink'))]);
  for (const { participantId, ...link } of report.remotes) {
    out.push([participantId, withServer({ at, ...link }, serverFigures(server, { participantId }))]);
  }
  return out;
}

export class QualityHistory {
  private readonly series = new Map<string, RingBuffer<QualitySample>>();
  private latestAt = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs = HISTORY_WINDOW_MS) {}

  record(report: QualityReport): void {
    for (const [key, sample] of samplesOf(report)) {
      let buffer = this.series.get(key);
      if (!buffer) {
        buffer = new RingBuffer<QualitySample>(SERIES_CAPACITY);
        this.series.set(key, buffer);
      }
      buffer.push(sample);
    }
    this.latestAt = Math.max(this.latestAt, report.at);
    // A participant who left a minute ago has nothing left to show.
    for (const [key, buffer] of this.series) {
      const last = buffer.toArray().at(-1);
      if (!last || last.at < this.latestAt - this.windowMs) this.series.delete(key);
    }
  }

  /** Each series' samples of the last window, oldest first. */
  samples(): Map<string, QualitySample[]> {
    const since = this.latestAt - this.windowMs;
    const out = new Map<string, QualitySample[]>();
    for (const [key, buffer] of this.series) out.set(key, buffer.toArray().filter((s) => s.at >= since));
    return out;
  }

  clear(): void {
    this.series.clear();
    this.latestAt = Number.NEGATIVE_INFINITY;
  }
}

function withServer(sample: QualitySample, server: Partial<Record<MediaKind, ServerFigures>>): QualitySample {
  return withoutUndefined<QualitySample>({ ...sample, server: Object.keys(server).length > 0 ? server : undefined });
}
