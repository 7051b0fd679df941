// Bus messages dropped unread (bad signature, replay, not JSON, wrong shape): every one is
// counted for metrics, but a flood of forged PUBLISHes must not flood the log too, so a
// line is written at most once a second, saying how many were dropped unlogged since.
import { bounded, ERROR_TEXT_CHARS } from '../clientValue.js';
import type { Logger } from '../log.js';
import type { BusRejection } from './busMessages.js';

/** Dropped bus messages logged at most this often; the rest are only counted. */
const REJECTION_LOG_INTERVAL_MS = 1000;

export class BusRejections {
  private loggedAt = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly nodeId: string,
    private readonly log: Logger,
    /** Observes each dropped message, for metrics. */
    private readonly onRejected: ((reason: BusRejection) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A dropped message: `detail` is bounded here and the payload itself never logged. */
  rejected(reason: BusRejection, detail: string, bytes: number): void {
    this.onRejected?.(reason);
    const now = this.now();
    if (now - this.loggedAt < REJECTION_LOG_INTERVAL_MS) {
      this.unlogged += 1;
      return;
    }
    this.log.warn('bus message rejected', { node: this.nodeId, reason, detail: bounded(detail, ERROR_TEXT_CHARS), bytes, alsoRejectedSinceLastLog: this.unlogged });
    this.loggedAt = now;
    this.unlogged = 0;
  }
}
