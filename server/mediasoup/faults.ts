// mediasoup calls back outside any request: its emitters' events, the engine's timers and
// promise continuations. mediasoup's emitters swallow a listener's throw (a debug line, no
// count); a timer's throw would reach the event loop and drain the node; a rejection nobody
// handles would reach the last-resort handler. Every such callback here is guarded: the
// failure is logged and counted in rtc_internal_errors_total{source="media"}, like the
// werift engine's (server/sfu/contained.ts).
import { errorText } from '../../signaling/clientValue.js';
import type { Logger } from '../../signaling/log.js';
import type { SfuTotals } from '../sfu/totals.js';

/** Logs and counts a failure caught in a callback. Never throws. */
export type FaultReporter = (what: string, err: unknown, fields?: Record<string, unknown>) => void;

export function faultReporter(totals: SfuTotals, log: Logger): FaultReporter {
  return (what, err, fields) => {
    try {
      totals.internalErrors++;
      log.error('mediasoup callback failed', { ...fields, callback: what, error: errorText(err) });
    } catch {
      // The log is what failed; the count stands.
    }
  };
}

/** `run`, except that a throw or a rejection goes to `report` instead of to whoever called it. */
export function guarded<A extends unknown[]>(report: FaultReporter, what: string, run: (...args: A) => void | Promise<void>, fields?: Record<string, unknown>): (...args: A) => void {
  return (...args) => {
    try {
      const done = run(...args);
      if (done) done.catch((err: unknown) => report(what, err, fields));
    } catch (err) {
      report(what, err, fields);
    }
  };
}
