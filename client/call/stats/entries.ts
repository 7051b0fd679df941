// One getStats() snapshot as plain data, and typed reads of its loosely typed fields.
// Browsers leave fields out freely (by version, by stream state, before the first RTCP
// report), so every read may be undefined; none returns NaN.

/** One object of a getStats() report, as plain data (tests feed recorded JSON). */
export type StatsEntry = Record<string, unknown> & { id: string; type: string; timestamp: number };

/** The entries of one report, findable by id and by type. */
export class StatsSnapshot {
  private readonly byId = new Map<string, StatsEntry>();

  constructor(readonly entries: readonly StatsEntry[]) {
    for (const entry of entries) this.byId.set(entry.id, entry);
  }

  /** The entry with this id; `id` is whatever a reference field held, so it may be anything. */
  get(id: unknown): StatsEntry | undefined {
    return typeof id === 'string' ? this.byId.get(id) : undefined;
  }

  ofType(type: string): StatsEntry[] {
    return this.entries.filter((e) => e.type === type);
  }
}

/** Copies what getStats() resolved to into plain entries, skipping anything malformed. */
export function readStatsEntries(values: Iterable<unknown>): StatsEntry[] {
  const out: StatsEntry[] = [];
  for (const value of values) {
    if (typeof value !== 'object' || value === null) continue;
    const record = { ...(value as Record<string, unknown>) };
    const { id, type, timestamp } = record;
    if (typeof id !== 'string' || typeof type !== 'string' || typeof timestamp !== 'number') continue;
    out.push({ ...record, id, type, timestamp });
  }
  return out;
}

/** A finite number field, else undefined. */
export function num(entry: StatsEntry | undefined, field: string): number | undefined {
  const value = entry?.[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A string field, else undefined. */
export function text(entry: StatsEntry | undefined, field: string): string | undefined {
  const value = entry?.[field];
  return typeof value === 'string' ? value : undefined;
}

/** `field` in milliseconds, for fields the stats spec gives in seconds. */
export function millis(entry: StatsEntry | undefined, field: string): number | undefined {
  const seconds = num(entry, field);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** How far a counter moved between two samples; undefined when either lacks it or it went backwards. */
export function delta(previous: StatsEntry, current: StatsEntry, field: string): number | undefined {
  const a = num(previous, field);
  const b = num(current, field);
  return a === undefined || b === undefined || b < a ? undefined : b - a;
}

/**
 * The earlier sample of the same stream when the two can be compared: same SSRC, later
 * timestamp, and none of `counters` went down. A counter that went down means the
 * stream was recreated, so the earlier sample says nothing about this interval.
 */
export function comparable(previous: StatsEntry | undefined, current: StatsEntry, counters: readonly string[]): StatsEntry | undefined {
  if (!previous || previous.type !== current.type) return undefined;
  if (!(current.timestamp > previous.timestamp)) return undefined;
  if (num(previous, 'ssrc') !== num(current, 'ssrc')) return undefined;
  for (const counter of counters) {
    const a = num(previous, counter);
    const b = num(current, counter);
    if (a !== undefined && b !== undefined && b < a) return undefined;
  }
  return previous;
}

/** Drops undefined fields, so figures compare and serialise as exactly what was measured. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
