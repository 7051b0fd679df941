// End to end: what the join page makes of a link, in Chromium against the real server
// (werift, no TURN, ICE-TCP off). A bad room or name in the link is kept in its field
// with the reason beside it, while what is valid stays; transports the server cannot
// carry are disabled with a note, and a link asking for one does not join.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { waitFor } from './callPage.js';

describe('the join page and its link', () => {
  let server: ServerHandle;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    server = await startServer({ MEDIA_ENGINE: 'werift', RTC_ICE_TCP: 'false' });
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.context().close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens `query` and waits until the form is prefilled (after GET /api/config). */
  async function open(query: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(`${server.url}/?${query}`);
    await waitFor(() => page.evaluate(() => document.querySelector<HTMLOptionElement>('#join-transport option[value="turn"]')?.disabled === true), 5000, 'the form knows what the server offers');
    return page;
  }

  it('a room with "../" stays in its field with the reason, and the valid name is kept', async () => {
    const page = await open(`room=${encodeURIComponent('../../etc')}&name=Ada`);
    expect(await page.evaluate(() => document.body.dataset.callState)).toBe('idle');
    expect(await page.locator('#join-room').inputValue()).toBe('../../etc');
    expect(await page.locator('#join-room').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('room-error').textContent()).toMatch(/link's room cannot be used.*not "\/"/);
    expect(await page.locator('#join-name').inputValue()).toBe('Ada');
    expect(await page.getByTestId('name-error').textContent()).toBe('');

    // Fixing the room is enough to join.
    await page.locator('#join-room').fill('etc');
    expect(await page.getByTestId('room-error').textContent()).toBe('');
    await page.getByTestId('join').click();
    await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Ada joined once the room was fixed');
  });

  it('a 300-character room and a 200-character name both say how long they are', async () => {
    const page = await open(`room=${'r'.repeat(300)}&name=${'N'.repeat(200)}`);
    expect(await page.getByTestId('room-error').textContent()).toMatch(/at most 64 characters; this one has 300\./);
    expect(await page.getByTestId('name-error').textContent()).toMatch(/at most 40 characters; this one has 200\./);
    expect(await page.locator('#join-name').inputValue()).toHaveLength(200);
  });

  it('a valid room with a too-long name keeps the room', async () => {
    const page = await open(`room=standup&name=${'N'.repeat(200)}`);
    expect(await page.locator('#join-room').inputValue()).toBe('standup');
    expect(await page.getByTestId('room-error').textContent()).toBe('');
    expect(await page.getByTestId('name-error').textContent()).toMatch(/this one has 200/);
  });

  it('without TURN or ICE-TCP, "Force TURN" and "Force TCP" are disabled and the note says why', async () => {
    const page = await open('room=standup');
    const disabled = await page.locator('#join-transport option').evaluateAll((options) =>
      (options as HTMLOptionElement[]).map((o) => [o.value, o.disabled]),
    );
    expect(disabled).toEqual([['auto', false], ['udp', false], ['tcp', true], ['turn', true]]);
    const note = await page.getByTestId('transport-note').textContent();
    expect(note).toMatch(/"Force TURN over TCP" is not offered\. This server has no TURN relay/);
    expect(note).toMatch(/"Force TCP \(ICE-TCP\)" is not offered\..*RTC_ICE_TCP/);
  });

  it('a link that forces TURN does not join "with black tiles": the form says why and selects Auto', async () => {
    const page = await open('room=standup&name=Ada&transport=turn');
    expect(await page.evaluate(() => document.body.dataset.callState)).toBe('idle');
    expect(await page.locator('#join-transport').inputValue()).toBe('auto');
    expect(await page.getByTestId('transport-note').textContent()).toMatch(/The link asks for "Force TURN over TCP", which this server cannot carry, so Auto is selected\./);
    // The call's own transport switch offers the same choices.
    await page.getByTestId('join').click();
    await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Ada joined over Auto');
    expect(await page.locator('[data-testid="transport-switch"] option[value="turn"]').evaluate((o) => (o as HTMLOptionElement).disabled)).toBe(true);
    expect(new URL(page.url()).searchParams.get('transport')).toBeNull();
  });
});
