// The quality badge: good, fair or poor from packet loss, round-trip time and jitter,
// judged against fixed thresholds. A figure that was not measured does not count.

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export interface QualityInputs {
  lossPercent?: number;
  rttMs?: number;
  jitterMs?: number;
}

/** Good when every measured figure is below these. */
export const GOOD_QUALITY = { lossPercent: 2, rttMs: 150, jitterMs: 30 } as const satisfies Required<QualityInputs>;

/** Poor when any measured figure is at or above these. */
export const POOR_QUALITY = { lossPercent: 8, rttMs: 400, jitterMs: 75 } as const satisfies Required<QualityInputs>;

const FIGURES = ['lossPercent', 'rttMs', 'jitterMs'] as const;

/** Poor if any figure reaches its poor threshold; good if all are below good; else fair. `unknown` with no figures. */
export function classifyQuality(inputs: QualityInputs): Quality {
  const measured = FIGURES.filter((f) => inputs[f] !== undefined);
  if (measured.length === 0) return 'unknown';
  if (measured.some((f) => (inputs[f] ?? 0) >= POOR_QUALITY[f])) return 'poor';
  if (measured.every((f) => (inputs[f] ?? 0) < GOOD_QUALITY[f])) return 'good';
  return 'fair';
}

/** The largest of the measured values; undefined when none was measured. */
export function worst(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
