// A latency histogram: HdrHistogram underneath (3 significant digits, microsecond
// resolution, auto-resizing), milliseconds at the edges. Callers record the time from an
// operation's *intended* start, so what lands here is free of coordinated omission.
import { build, type Histogram } from 'hdr-histogram-js';

/** What a report shows of one histogram; every value in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const US_PER_MS = 1000;

export class LatencyHistogram {
  private readonly hdr: Histogram;

  constructor() {
    this.hdr = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60 * 60 * 1_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  /** Records one latency in milliseconds; negative values (clock jitter) count as 0. */
  record(ms: number): void {
    this.hdr.recordValue(Math.max(1, Math.round(ms * US_PER_MS)));
  }

  /** The value at a percentile (0..100) in milliseconds, 0 when empty. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : this.hdr.getValueAtPercentile(p) / US_PER_MS;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    // Percentiles are reported as the top of their bucket; never above the true maximum.
    const max = this.hdr.maxValue;
    const ms = (us: number): number => Math.round(Math.min(us, max)) / US_PER_MS;
    return {
      count: this.count,
      min: ms(this.hdr.minNonZeroValue),
      mean: ms(this.hdr.mean),
      p50: ms(this.hdr.getValueAtPercentile(50)),
      p90: ms(this.hdr.getValueAtPercentile(90)),
      p99: ms(this.hdr.getValueAtPercentile(99)),
      p999: ms(this.hdr.getValueAtPercentile(99.9)),
      max: ms(max),
    };
  }
}
