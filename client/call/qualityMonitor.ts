// Call quality, measured: reads both peer connections' stats on a timer (every second
// while someone looks at the numbers, every two seconds otherwise, for the badges),
// turns them into figures per link, keeps the last minute and hands each report on.
import type { ServerStreamStats } from '../../signaling/protocol.js';
import type { StatsEntry } from './stats/entries.js';
import { QualityHistory, type QualitySample } from './stats/history.js';
import { buildQualityReport, connectionFigures, type QualityReport, type StreamOwners, type VideoOff } from './stats/report.js';

export interface QualityIntervals {
  /** While only the badges show quality. */
  badgeMs: number;
  /** While the full figures are on screen. */
  detailedMs: number;
}

export const DEFAULT_QUALITY_INTERVALS: QualityIntervals = { badgeMs: 2_000, detailedMs: 1_000 };

/** One reading of the call's two peer connections. */
export interface CallStatsSnapshot {
  publisher?: StatsEntry[];
  subscriber?: StatsEntry[];
  /** Who sends the stream on each subscriber transceiver. */
  owners: StreamOwners;
  /** Whose camera is off, so that its frame rate is not judged. */
  videoOff?: VideoOff;
  /** The publisher's screen-share m-line, if any: the uplink is judged on the camera and microphone. */
  screenMid?: string;
}

export class QualityMonitor {
  private readonly history = new QualityHistory();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private reading = false;
  private detailed = false;
  /** Bumped by `reset`: a reading of the previous connection that finishes later is dropped. */
  private generation = 0;
  private previous: { publisher?: StatsEntry[]; subscriber?: StatsEntry[] } = {};
  private serverStreams: ServerStreamStats[] = [];
  private last: QualityReport | undefined;

  constructor(
    private readonly read: () => Promise<CallStatsSnapshot | undefined>,
    private readonly onReport: (report: QualityReport) => void,
    private readonly intervals: QualityIntervals = DEFAULT_QUALITY_INTERVALS,
  ) {}

  /** The latest report, if one was made. */
  get latest(): QualityReport | undefined {
    return this.last;
  }

  /** The last minute of samples, per series (the uplink and each remote participant). */
  samples(): Map<string, QualitySample[]> {
    return this.history.samples();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Faster readings while the detailed figures are shown, the first of them at once. */
  setDetailed(detailed: boolean): void {
    if (this.detailed === detailed) return;
    this.detailed = detailed;
    if (detailed && this.running && !this.reading) this.schedule(0);
  }

  /** A new connection: its counters and the server's figures start afresh. */
  reset(): void {
    this.generation++;
    this.previous = {};
    this.serverStreams = [];
  }

  /** The server's latest figures for this participant, included in the next reports. */
  setServerStreams(streams: ServerStreamStats[]): void {
    this.serverStreams = streams;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const generation = this.generation;
    this.reading = true;
    try {
      const snapshot = await this.read();
      if (snapshot && this.running && generation === this.generation) this.consume(snapshot);
    } catch (err) {
      console.warn('call: could not read media statistics', err);
    } finally {
      this.reading = false;
      if (this.running) this.schedule(this.detailed ? this.intervals.detailedMs : this.intervals.badgeMs);
    }
  }

  private consume(snapshot: CallStatsSnapshot): void {
    const { publisher, subscriber, owners, videoOff, screenMid } = snapshot;
    const report = buildQualityReport({
      at: Date.now(),
      publisher: publisher && connectionFigures(this.previous.publisher, publisher),
      subscriber: subscriber && connectionFigures(this.previous.subscriber, subscriber),
      owners,
      server: this.serverStreams,
      videoOff,
      screenMid,
    });
    this.previous = { publisher, subscriber };
    this.last = report;
    this.history.record(report);
    this.onReport(report);
  }
}
