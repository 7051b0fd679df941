// End to end: what the tiles tell the others. A participant who has no microphone shows
// the mic-off marker on their tile for everyone, and while the server is down every tile's
// badge says "Reconnecting" until the call is back.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, waitFor } from './callPage.js';

let server: ServerHandle | undefined;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.context().close()));
  await server?.stop();
  server = undefined;
});
afterAll(async () => {
  await browser?.close();
});

/** Joins with a camera but no microphone: the browser finds no audio device. */
async function joinWithoutMicrophone(url: string, room: string, name: string): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) =>
      constraints?.audio ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) : original(constraints);
  });
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${url}/?${new URLSearchParams({ room, name }).toString()}`);
  await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, `${name} joined ${room}`);
  return page;
}

describe('tile markers', () => {
  it('a participant without a microphone shows the mic-off marker to the others (and to themself)', async () => {
    server = await startServer({ MEDIA_ENGINE: 'werift' });
    const alice = await openCall(browser, server.url, 'no-mic', 'Alice');
    pages.push(alice);
    const bob = await joinWithoutMicrophone(server.url, 'no-mic', 'Bob');
    const bobId = (await bob.evaluate(() => window.__call.participantId())) as string;

    const bobsTile = alice.locator(`[data-testid="tile"][data-participant-id="${bobId}"]`);
    await expect.poll(() => bobsTile.getByRole('img', { name: 'Microphone off' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await bobsTile.getAttribute('data-audio-muted')).toBe('true');
    // Bob's camera works: his picture is not marked off (once his video arrives; until then
    // the tile has no picture to show, which CI once caught right after the mic marker).
    await expect.poll(() => bobsTile.getAttribute('data-video-muted'), { timeout: 10_000 }).toBe('false');
    // Alice has a microphone: her tile on Bob's page has no marker.
    const alicesTile = bob.locator('[data-testid="tile"]').first();
    await alicesTile.waitFor();
    expect(await alicesTile.getByRole('img', { name: 'Microphone off' }).isVisible()).toBe(false);
    expect(await bob.getByTestId('local-tile').getByRole('img', { name: 'Microphone off' }).isVisible()).toBe(true);
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/no-mic-marker.png` });
  });

  it('while the server is down every tile says "Reconnecting", and stops saying it once the call is back', { timeout: 60_000 }, async () => {
    server = await startServer({ MEDIA_ENGINE: 'werift' });
    const { port, url } = server;
    const alice = await openCall(browser, url, 'down', 'Alice');
    const bob = await openCall(browser, url, 'down', 'Bob');
    pages.push(alice, bob);
    const badges = alice.locator('[data-testid="local-tile"] [data-testid="quality-badge"], [data-testid="tile"] [data-testid="quality-badge"]');
    await expect.poll(() => badges.count(), { timeout: 10_000 }).toBe(2);

    await server.stop();
    await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'reconnecting'), 10_000, 'Alice reconnecting');
    await expect.poll(() => badges.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-quality')}:${e.textContent?.trim()}`)), { timeout: 5_000 }).toEqual([
      'reconnecting:Reconnecting',
      'reconnecting:Reconnecting',
    ]);
    // The "reconnecting" banner sits above the call's header and pushes it down: it covers neither the header nor its buttons.
    const banner = await alice.locator('.notice').boundingBox();
    const header = await alice.locator('.call-header').boundingBox();
    expect(banner, 'the banner is shown').not.toBeNull();
    expect(banner!.y + banner!.height).toBeLessThanOrEqual(header!.y);
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/reconnecting-tiles.png` });

    server = await startServer({ MEDIA_ENGINE: 'werift', PORT: String(port) });
    await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'joined'), 15_000, 'Alice back in the call');
    await expect.poll(() => alice.locator('[data-testid="quality-badge"][data-quality="reconnecting"]').count(), { timeout: 15_000 }).toBe(0);
  });
});
