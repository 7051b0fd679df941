// How shared-state calls fail. Callers map CLUSTER_UNAVAILABLE to "service degraded"
// (the store is down or reconnecting; retry later) and treat CLUSTER_CLOSED as a bug in
// shutdown order. Errors from the store's own replies (a bad script) are not wrapped.
import type { Logger } from '../log.js';

export const ClusterErrorCode = {
  /** The backing store does not answer right now; the call did not happen (or its outcome is unknown). */
  Unavailable: 'CLUSTER_UNAVAILABLE',
  /** close() was called on this state; nothing more can be done with it. */
  Closed: 'CLUSTER_CLOSED',
} as const;
export type ClusterErrorCode = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

export class ClusterStateError extends Error {
  override readonly name = 'ClusterStateError';

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** TTLs become Redis PX arguments, which must be positive whole milliseconds. */
export function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}

/**
 * Wraps a caller's listener so that one that throws is logged and cannot break delivery
 * to the others, nor the client or emitter that called it.
 */
export function shielded<T>(listener: (value: T) => void, log: Logger, what: string): (value: T) => void {
  return (value) => {
    try {
      listener(value);
    } catch (err) {
      log.error('cluster listener threw', { listener: what, error: err instanceof Error ? err.message : String(err) });
    }
  };
}
