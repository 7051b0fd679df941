// Message latency, measured: small probes sent on three paths at the same moments, the
// round trip of each answer, and how many were answered in time, over the last minute.
// Pure bookkeeping on times the caller gives (one monotonic clock, ms), so it can be
// tested without a network.

/**
 * The three paths a probe takes: the signaling WebSocket (`ping` request), a reliable
 * ordered data channel, and an unordered one without retransmissions.
 */
export type ProbePath = 'signaling' | 'reliable' | 'unreliable';
export const PROBE_PATHS: readonly ProbePath[] = ['signaling', 'reliable', 'unreliable'];

/** How much history the figures and the chart cover. */
export const PROBE_WINDOW_MS = 60_000;
/** A probe answered later than this counts as not delivered. */
export const PROBE_DEADLINE_MS = 2_000;

/** One probe: when it was sent and, once answered, its round trip. */
export interface ProbeSample {
  sentAt: number;
  rttMs?: number;
}

/** One path's figures over the window. */
export interface ProbePathSummary {
  /** Probes whose deadline has passed (the delivery ratio's denominator). */
  decided: number;
  /** Of those, answered within the deadline. */
  delivered: number;
  /** delivered / decided; undefined before any deadline passed. */
  deliveryRatio?: number;
  /** Round-trip percentiles of every answered probe in the window, ms. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** The most recent answer's round trip. */
  lastRttMs?: number;
}

export type ProbeSummary = Record<ProbePath, ProbePathSummary>;

/** Nearest-rank percentile (p in 0..100) of values sorted ascending; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50/p95/p99 of round trips (sorts `rtts` in place); a percentile is left out when there are none. */
export function rttPercentiles(rtts: number[]): { p50Ms?: number; p95Ms?: number; p99Ms?: number } {
  rtts.sort((a, b) => a - b);
  const out: { p50Ms?: number; p95Ms?: number; p99Ms?: number } = {};
  const p50 = percentile(rtts, 50);
  const p95 = percentile(rtts, 95);
  const p99 = percentile(rtts, 99);
  if (p50 !== undefined) out.p50Ms = p50;
  if (p95 !== undefined) out.p95Ms = p95;
  if (p99 !== undefined) out.p99Ms = p99;
  return out;
}

/** The probes of one path in the window, oldest first. */
class PathLog {
  private readonly entries: (ProbeSample & { seq: number })[] = [];
  private lastRtt: number | undefined;

  sent(seq: number, at: number): void {
    this.entries.push({ seq, sentAt: at });
  }

  /** Records an answer; unknown, duplicate or pruned sequence numbers are ignored. */
  answered(seq: number, at: number): number | undefined {
    // Answers come back close to the end: search from there.
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i];
      if (!entry || entry.seq !== seq) continue;
      if (entry.rttMs !== undefined) return undefined;
      entry.rttMs = Math.max(0, at - entry.sentAt);
      this.lastRtt = entry.rttMs;
      return entry.rttMs;
    }
    return undefined;
  }

  prune(now: number, windowMs: number): void {
    let drop = 0;
    while (drop < this.entries.length && (this.entries[drop]?.sentAt ?? now) < now - windowMs) drop++;
    if (drop > 0) this.entries.splice(0, drop);
  }

  summary(now: number, deadlineMs: number): ProbePathSummary {
    let decided = 0;
    let delivered = 0;
    const rtts: number[] = [];
    for (const { sentAt, rttMs } of this.entries) {
      if (rttMs !== undefined) rtts.push(rttMs);
      if (now - sentAt < deadlineMs) continue;
      decided++;
      if (rttMs !== undefined && rttMs <= deadlineMs) delivered++;
    }
    const out: ProbePathSummary = { decided, delivered, ...rttPercentiles(rtts) };
    if (decided > 0) out.deliveryRatio = delivered / decided;
    if (this.lastRtt !== undefined) out.lastRttMs = this.lastRtt;
    return out;
  }

  samples(): ProbeSample[] {
    return this.entries.map(({ sentAt, rttMs }) => (rttMs === undefined ? { sentAt } : { sentAt, rttMs }));
  }
}

export class ProbeLog {
  private readonly paths = new Map<ProbePath, PathLog>(PROBE_PATHS.map((p) => [p, new PathLog()]));

  constructor(
    readonly windowMs = PROBE_WINDOW_MS,
    readonly deadlineMs = PROBE_DEADLINE_MS,
  ) {}

  sent(path: ProbePath, seq: number, at: number): void {
    const log = this.log(path);
    log.prune(at, this.windowMs);
    log.sent(seq, at);
  }

  /** The probe's round trip, or undefined for an answer to nothing we are waiting for. */
  answered(path: ProbePath, seq: number, at: number): number | undefined {
    return this.log(path).answered(seq, at);
  }

  summary(now: number): ProbeSummary {
    const out = {} as ProbeSummary;
    for (const path of PROBE_PATHS) {
      const log = this.log(path);
      log.prune(now, this.windowMs);
      out[path] = log.summary(now, this.deadlineMs);
    }
    return out;
  }

  /** Every probe of the window per path, oldest first, for the chart. */
  samples(now: number): Record<ProbePath, ProbeSample[]> {
    const out = {} as Record<ProbePath, ProbeSample[]>;
    for (const path of PROBE_PATHS) {
      const log = this.log(path);
      log.prune(now, this.windowMs);
      out[path] = log.samples();
    }
    return out;
  }

  private log(path: ProbePath): PathLog {
    const log = this.paths.get(path);
    if (!log) throw new Error(`unknown probe path ${path}`);
    return log;
  }
}
