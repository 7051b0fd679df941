// End to end: the server goes away for longer than the page used to wait (30 s) and comes
// back on the same port. The page keeps trying on its own, without a click, and is back in
// the call within a few seconds of the server being ready; video flows again both ways.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

const OUTAGE_MS = 35_000;
/** The back-off's cap (4 s) plus a join and a token on a busy 2-core machine. */
const BACK_WITHIN_MS = 8_000;

describe('a long server outage', () => {
  let server: ServerHandle | undefined;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.context().close()));
    await server?.stop();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`after ${OUTAGE_MS / 1000} s without a server the pages rejoin by themselves within ${BACK_WITHIN_MS / 1000} s of it being ready`, { timeout: 120_000 }, async () => {
    server = await startServer({ MEDIA_ENGINE: 'werift' });
    const { port, url } = server;
    const a = await openCall(browser, url, 'outage', 'Alice');
    const b = await openCall(browser, url, 'outage', 'Bob');
    pages.push(a, b);
    const states: string[] = [];
    await a.exposeFunction('__recordState', (s: string) => states.push(s));
    await a.evaluate(() => {
      new MutationObserver(() => void (window as unknown as { __recordState(s: string): void }).__recordState(document.body.dataset.callState ?? '')).observe(document.body, {
        attributes: true,
        attributeFilter: ['data-call-state'],
      });
    });

    await server.stop();
    await waitFor(() => a.evaluate(() => document.body.dataset.callState === 'reconnecting'), 10_000, 'Alice reconnecting');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    expect(await a.evaluate(() => document.body.dataset.callState)).toBe('reconnecting');

    server = await startServer({ MEDIA_ENGINE: 'werift', PORT: String(port) });
    const ready = Date.now();
    for (const page of [a, b]) {
      await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), BACK_WITHIN_MS - (Date.now() - ready), 'back in the call');
    }
    const backAfterMs = Date.now() - ready;
    process.stdout.write(`back in the call ${backAfterMs} ms after the server was ready\n`);
    expect(states).not.toContain('failed');
    expect(await a.getByRole('button', { name: 'Rejoin' }).count()).toBe(0);
    const [aId, bId] = (await Promise.all([a, b].map((p) => p.evaluate(() => window.__call.participantId())))) as [string, string];
    await waitForMedia(a, [bId], { timeoutMs: 15_000 });
    await waitForMedia(b, [aId], { timeoutMs: 15_000 });
  });
});
