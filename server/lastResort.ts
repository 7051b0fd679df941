// The process's last resort for errors that nothing closer caught: a JSON line and a
// count, never a silent death.
//
// What each one costs is decided here:
// - An unhandled rejection is logged and counted, and the node keeps serving. The promise
//   belonged to one request, one participant or one background task; nothing shared was
//   left half done by the rejection itself.
// - An uncaught exception is logged and counted, and then the node drains as on SIGTERM
//   (clients are asked to reconnect, 4011, to any node; rooms move) and exits with 1 for
//   its supervisor to replace it. After one, Node cannot vouch for the code that threw: a
//   teardown stopped half way, a timer that re-arms itself never will. Serving on would
//   risk calls that silently have no media; draining ends them cleanly and says why.
//   A second one during the drain is logged and counted; the drain's deadline still holds.
import { errorText } from '../signaling/clientValue.js';
import type { Logger } from '../signaling/log.js';

export type LastResortSource = 'uncaught_exception' | 'unhandled_rejection';

export interface LastResortDeps {
  log: Logger;
  count(source: LastResortSource): void;
  /** Begins the graceful shutdown (the SIGTERM path), to end the process with this exit code. */
  drain(reason: string, exitCode: number): void;
}

/** Installs the handlers on `proc` (the process); returns a function that removes them. */
export function handleLastResortErrors(deps: LastResortDeps, proc: NodeJS.EventEmitter = process): () => void {
  const report = (source: LastResortSource, err: unknown): void => {
    // A throw from in here would end the process at once (exit code 7): nothing may escape.
    try {
      deps.count(source);
      deps.log.error(source === 'uncaught_exception' ? 'uncaught exception; draining' : 'unhandled rejection', {
        source,
        error: errorText(err),
        stack: err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined,
      });
    } catch {
      // Neither the log nor the count is available; the drain still happens.
    }
  };
  const onRejection = (reason: unknown): void => report('unhandled_rejection', reason);
  const onException = (err: unknown): void => {
    report('uncaught_exception', err);
    try {
      deps.drain('uncaughtException', 1);
    } catch {
      process.exitCode = 1;
    }
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
