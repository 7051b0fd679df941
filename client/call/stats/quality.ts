// The quality badge: good, fair or poor from what the network does (packet loss, round
// trip, jitter) and from what a person sees and hears (video freezes, frame rate, how long
// media waits in the jitter buffer), judged against fixed thresholds; "reconnecting" while
// the link is down. A figure that was not measured does not count. The thresholds and
// where they come from are in client/QUALITY.md.

export type Quality = 'good' | 'fair' | 'poor' | 'reconnecting' | 'unknown';

export interface QualityInputs {
  lossPercent?: number;
  rttMs?: number;
  jitterMs?: number;
  /** How long received media waited before playout (the worse of audio and video), ms. */
  jitterBufferMs?: number;
  /** Video freezes that ended during the interval (received video only). */
  freezes?: number;
  /** Video frames per second shown (received) or encoded (sent); only while video is on. */
  fps?: number;
  /** The link is down: its socket or its peer connection is being re-established. */
  down?: boolean;
}

type Judged = Exclude<keyof QualityInputs, 'down'>;

/** Good when every measured figure is on the good side of these (below; fps: at or above). */
export const GOOD_QUALITY = { lossPercent: 2, rttMs: 150, jitterMs: 30, jitterBufferMs: 250, freezes: 1, fps: 15 } as const satisfies Record<Judged, number>;

/** Poor when any measured figure is at or beyond these (at or above; fps: below). */
export const POOR_QUALITY = { lossPercent: 8, rttMs: 400, jitterMs: 75, jitterBufferMs: 400, freezes: 2, fps: 10 } as const satisfies Record<Judged, number>;

const LOWER_IS_BETTER = ['lossPercent', 'rttMs', 'jitterMs', 'jitterBufferMs', 'freezes'] as const;

/**
 * Reconnecting while the link is down; poor if any figure reaches its poor threshold; good
 * if every figure is on the good side; else fair. `unknown` with no figures.
 */
export function classifyQuality(inputs: QualityInputs): Quality {
  if (inputs.down) return 'reconnecting';
  const lower = LOWER_IS_BETTER.filter((f) => inputs[f] !== undefined);
  const fps = inputs.fps;
  if (lower.length === 0 && fps === undefined) return 'unknown';
  const poor = lower.some((f) => (inputs[f] as number) >= POOR_QUALITY[f]) || (fps !== undefined && fps < POOR_QUALITY.fps);
  if (poor) return 'poor';
  const good = lower.every((f) => (inputs[f] as number) < GOOD_QUALITY[f]) && (fps === undefined || fps >= GOOD_QUALITY.fps);
  return good ? 'good' : 'fair';
}

/** The figures that made the verdict worse than good, for the tooltip ("freezes", "frame rate"). */
export function limitingFigures(inputs: QualityInputs): Judged[] {
  const out: Judged[] = LOWER_IS_BETTER.filter((f) => inputs[f] !== undefined && (inputs[f] as number) >= GOOD_QUALITY[f]);
  if (inputs.fps !== undefined && inputs.fps < GOOD_QUALITY.fps) out.push('fps');
  return out;
}

/** The largest of the measured values; undefined when none was measured. */
export function worst(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
