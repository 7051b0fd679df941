// mediasoup's worker processes can die (a crash, the OOM killer). The Node process must
// not, and the call must come back: the dead worker's rooms send their people to join
// again, which places the room on a live worker, and the dead worker is replaced.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, remoteStats, waitFor, waitForMedia } from './callPage.js';

let server: ServerHandle;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  server = await startServer({ MEDIA_ENGINE: 'mediasoup', MEDIASOUP_WORKERS: '2' });
  browser = await launchChromium();
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.context().close()));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Worker index -> pid, from the server's "mediasoup worker started" lines (latest wins). */
function workerPids(): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of server.logs) {
    if (!line.includes('"mediasoup worker started"')) continue;
    const { worker, pid } = JSON.parse(line) as { worker: number; pid: number };
    out.set(worker, pid);
  }
  return out;
}

it("kill -9 of the worker that holds a call: the server stays up, both pages decode each other again within 10 s, and the worker is replaced", async () => {
  const a = await openCall(browser, server.url, 'worker-death', 'Alice');
  pages.push(a);
  const b = await openCall(browser, server.url, 'worker-death', 'Bob');
  pages.push(b);
  const ids = (await Promise.all([a, b].map((p) => p.evaluate(() => window.__call.participantId())))) as [string, string];
  await waitForMedia(a, [ids[1]], { timeoutMs: 15_000 });
  await waitForMedia(b, [ids[0]], { timeoutMs: 15_000 });

  // The first room goes to the worker with the fewest rooms, the first on a tie: worker 0.
  const victim = workerPids().get(0);
  expect(victim).toBeTypeOf('number');
  const killedAt = Date.now();
  process.kill(victim!, 'SIGKILL');

  await waitFor(() => server.logs.some((l) => l.includes('"media room lost"')), 5000, 'the server noticed the room was lost');
  // Both pages rejoin (new participant ids) and decode each other again.
  let rejoined: string[] = [];
  await waitFor(
    async () => {
      rejoined = (await Promise.all([a, b].map((p) => p.evaluate(() => (window.__call.state() === 'joined' ? window.__call.participantId() : undefined))))) as string[];
      return rejoined.every((id, i) => id !== undefined && id !== ids[i]);
    },
    10_000,
    'both pages joined again',
  );
  await waitForMedia(a, [rejoined[1]!], { timeoutMs: 10_000 - (Date.now() - killedAt), audio: false });
  await waitForMedia(b, [rejoined[0]!], { timeoutMs: Math.max(1000, 10_000 - (Date.now() - killedAt)), audio: false });
  process.stdout.write(`worker death: both pages decoding again ${Date.now() - killedAt} ms after kill -9 of worker 0\n`);

  expect(server.process.exitCode).toBeNull();
  await waitFor(() => (workerPids().get(0) ?? victim) !== victim, 5000, 'worker 0 replaced');
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, number>;
  expect(health.mediaWorkers).toBe(2);
  expect((await remoteStats(a)).length).toBe(1);
});
