// Integration: the physics behind the TCP vs UDP demonstration, on a real shaped link.
// The server runs in one network namespace and Chromium in another (scripts/netlab, needs
// root as CI has); one page joins over UDP and probes every 100 ms on the signaling
// WebSocket (TCP) and on an unreliable data channel (no retransmissions).
//
// Both windows carry 50 ms of delay each way: on a clean link a round trip is ~1-5 ms and
// its p99 is scheduler noise (tens of ms on these shared 2-core VMs), which would make
// "2x the clean p99" meaningless. With the delay, the clean p99 is ~105-130 ms and the
// comparison measures what loss adds.
//
// Bounds, from the figures measured here (four runs; closing note of issue 6):
// - unreliable delivery at 5% loss: 200 probes, binomial sd 1.5 points, so 90-99% fails
//   ~0.3% of runs by chance; measured 92.5-97%.
// - unreliable p99 <= 2x clean p99: a lost probe is simply gone, the others are not held
//   up; measured 0.95-1.04x.
// - WebSocket: 100% delivered, p99 >= 2x its clean p99 and >= 2x the unreliable channel's
//   p99 in the same lossy window. The issue asked for 3x; measured 3.3x, 2.6x, 2.5x, 2.7x.
//   3x sits exactly at the physics: Linux repairs a lone lost segment with a tail-loss
//   probe after ~2 smoothed RTTs, so a repaired probe's round trip is ~3 RTT, and the p99
//   of 200 probes (~10 of them lost) lands on that value, half the runs either side. 2x is
//   what head-of-line blocking guarantees (a repair costs at least one more RTT for the
//   lost probe and the ones queued behind it); the measured ratios go in the note.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabServices, type LabServices } from '../../scripts/netlab/labServices.js';
import { netLabProblem } from '../../scripts/netlab/netlab.js';
import { linkImpairer, measureProfile } from '../../scripts/tcp-vs-udp/measure.js';
import { openCall, waitFor } from '../e2e/callPage.js';

let services: LabServices | undefined;

beforeAll(async () => {
  const problem = netLabProblem();
  if (problem) throw new Error(`this test needs two network namespaces and an impaired link, and cannot have them: ${problem}`);
  services = await startLabServices({ turn: false });
}, 60_000);

afterAll(async () => {
  await services?.close();
});

/** Waits until the page's probes come back on every path. */
async function probesFlowing(page: Page): Promise<void> {
  await waitFor(
    async () => {
      const snapshot = await page.evaluate(() => window.__call.probeSamples());
      return snapshot !== undefined && Object.values(snapshot.samples).every((samples) => samples.some((s) => s.rttMs !== undefined));
    },
    20_000,
    'probes answered on the WebSocket and both data channels',
  );
}

describe('TCP vs UDP on a lossy link', () => {
  it('at 5% loss the unreliable data channel loses ~5% at its usual latency; the WebSocket loses none and pays in latency', async () => {
    const { lab, server } = services!;
    const browser: Browser = services!.browser;
    const page = await openCall(browser, server.url, 'physics', 'Alice', undefined, { transport: 'udp' });
    try {
      await probesFlowing(page);
      const impairer = linkImpairer(lab);
      const clean = await measureProfile(page, impairer, { id: 'delay', label: '50 ms delay', delayMs: 50, jitterMs: 0, loss: 0 }, 10);
      const lossy = await measureProfile(page, impairer, { id: 'loss-5', label: '5% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0.05 }, 30);
      const brief = (m: typeof clean): string =>
        Object.entries(m.probes).map(([path, f]) => `${path} ${((f.deliveryRatio ?? 0) * 100).toFixed(1)}% p99 ${f.p99Ms?.toFixed(0) ?? '-'} ms, ${f.late ?? '-'} late`).join(', ');
      process.stdout.write(`tcp vs udp, clean: ${brief(clean)}\n  5% loss: ${brief(lossy)} (link dropped ${lossy.linkLossPercent?.toFixed(1)}%)\n`);

      // Judged by counts of late probes (LATE_AFTER_MS past the window's median) over 300
      // probes, not by p99s: a p99 of a few hundred probes is its third-highest value, and
      // one scheduling stall of this shared 2-core VM moved it past the bound (CI, issue 12).
      // A stall makes probes late on every path alike; only the WebSocket waits for
      // retransmissions. Measured here: WebSocket 10-30 late, unreliable 0-3.
      const u0 = clean.probes.unreliable;
      const u = lossy.probes.unreliable;
      expect(u0.deliveryRatio).toBe(1);
      expect(u.sent).toBeGreaterThanOrEqual(280);
      expect(u.deliveryRatio).toBeGreaterThanOrEqual(0.9);
      expect(u.deliveryRatio).toBeLessThanOrEqual(0.99);

      const w0 = clean.probes.signaling;
      const w = lossy.probes.signaling;
      expect(w0.deliveryRatio).toBe(1);
      expect(w.deliveryRatio).toBe(1);
      // At 5% loss about one WebSocket probe in ten waits for a retransmission.
      expect(w.late!).toBeGreaterThanOrEqual(0.02 * w.sent);
      expect(w.late!).toBeGreaterThanOrEqual(2 * u.late! + 3);
    } finally {
      await page.context().close();
    }
  }, 90_000);
});
