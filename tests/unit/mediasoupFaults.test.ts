// mediasoup's callbacks (emitter events, timers, promise continuations) never let a
// failure escape: it is logged and counted in rtc_internal_errors_total{source="media"}.
import { describe, expect, it } from 'vitest';
import { faultReporter, guarded } from '../../server/mediasoup/faults.js';
import { newSfuTotals } from '../../server/sfu/totals.js';
import { createLogger } from '../../signaling/log.js';

function reporter(): { totals: ReturnType<typeof newSfuTotals>; report: ReturnType<typeof faultReporter> } {
  const totals = newSfuTotals();
  return { totals, report: faultReporter(totals, createLogger('silent')) };
}

describe('a guarded mediasoup callback', () => {
  it('that throws is counted as an internal error, and the throw does not reach the emitter', () => {
    const { totals, report } = reporter();
    const handler = guarded(report, 'consumer closed', () => {
      throw new Error('boom');
    });
    expect(() => handler()).not.toThrow();
    expect(totals.internalErrors).toBe(1);
  });

  it('that rejects is counted as well, and no rejection is left unhandled', async () => {
    const { totals, report } = reporter();
    const seen: string[] = [];
    const handler = guarded(
      (what, err, fields) => {
        seen.push(what);
        report(what, err, fields);
      },
      'router created',
      async () => {
        await Promise.resolve();
        throw new Error('late');
      },
    );
    handler();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['router created']);
    expect(totals.internalErrors).toBe(1);
  });

  it('that works passes its arguments through and counts nothing', () => {
    const { totals, report } = reporter();
    const got: string[] = [];
    guarded(report, 'dtls state', (state: string) => void got.push(state))('connected');
    expect(got).toEqual(['connected']);
    expect(totals.internalErrors).toBe(0);
  });

  it('keeps counting when the log itself throws', () => {
    const totals = newSfuTotals();
    const log = { ...createLogger('silent'), error: () => { throw new Error('log down'); } };
    const report = faultReporter(totals, log);
    expect(() => report('x', new Error('y'))).not.toThrow();
    expect(totals.internalErrors).toBe(1);
  });
});
