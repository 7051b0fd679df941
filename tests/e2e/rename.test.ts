// End to end: changing your name during the call. The others' tiles and later chat
// messages show the new name at once (across nodes in a cluster); a name the server would
// refuse is explained in the dialog, which stays open with what was typed. A rejoin with
// the same token (the server restarted) keeps the new name.
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { SHAPES } from '../helpers/signalingServer.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor } from './callPage.js';

describe.each(SHAPES)('changing your name in the call page, %s', (shape) => {
  const deployment = useCallDeployment(shape, { MEDIA_ENGINE: 'werift' });

  it('the others see the new name on the tile and in chat, and a refused name is explained', async () => {
    const room = 'rename';
    const alice = await openCall(deployment.browser, deployment.servers[0]!.url, room, 'Alice');
    const bob = await openCall(deployment.browser, deployment.servers[deployment.servers.length - 1]!.url, room, 'Bob');
    deployment.pages.push(alice, bob);
    const aliceId = (await alice.evaluate(() => window.__call.participantId())) as string;
    const alicesTile = bob.locator(`[data-testid="tile"][data-participant-id="${aliceId}"] .name`);
    await expect.poll(() => alicesTile.textContent(), { timeout: 10_000 }).toBe('Alice');
    expect(await alice.getByTestId('own-name').textContent()).toBe('Alice');

    // Too long: said in the dialog, nothing sent, the text kept.
    await alice.getByTestId('rename').click();
    expect(await alice.getByTestId('rename-input').inputValue()).toBe('Alice');
    await alice.getByTestId('rename-input').fill('A'.repeat(41));
    await alice.getByTestId('rename-save').click();
    expect(await alice.getByTestId('rename-error').textContent()).toMatch(/at most 40 characters/);
    expect(await alice.getByTestId('rename-dialog').isVisible()).toBe(true);
    expect(await alice.getByTestId('rename-input').inputValue()).toBe('A'.repeat(41));
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/rename-refused.png` });

    await alice.getByTestId('rename-input').fill('  Alice Smith ');
    await alice.getByTestId('rename-input').press('Enter');
    await expect.poll(() => alice.getByTestId('rename-dialog').isVisible(), { timeout: 5000 }).toBe(false);
    expect(await alice.getByTestId('own-name').textContent()).toBe('Alice Smith');
    expect(await alice.getByTestId('toast').allTextContents()).toContain('You are now Alice Smith');
    await expect.poll(() => alicesTile.textContent(), { timeout: 5000 }).toBe('Alice Smith');

    await alice.getByTestId('toggle-chat').click();
    await alice.getByTestId('chat-input').fill('new name, same me');
    await alice.getByTestId('chat-input').press('Enter');
    await bob.getByTestId('toggle-chat').click();
    await expect.poll(() => bob.getByTestId('chat-name').allTextContents(), { timeout: 5000 }).toEqual(['Alice Smith']);
    if (process.env.E2E_SCREENSHOTS) await bob.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/renamed.png` });
    // The page remembers it for the next call.
    expect(await alice.evaluate(() => localStorage.getItem('rtc.displayName'))).toBe('Alice Smith');
  });
});

describe('a changed name after the server restarts', () => {
  let server: ServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it('the page rejoins with its token (which has the old name) and sets the new one again', { timeout: 60_000 }, async () => {
    server = await startServer({ MEDIA_ENGINE: 'werift' });
    const { port, url } = server;
    const browser = await launchChromium();
    try {
      const alice = await openCall(browser, url, 'rename-restart', 'Alice');
      const bob = await openCall(browser, url, 'rename-restart', 'Bob');
      await alice.getByTestId('rename').click();
      await alice.getByTestId('rename-input').fill('Alice Smith');
      await alice.getByTestId('rename-input').press('Enter');
      await expect.poll(() => alice.getByTestId('own-name').textContent(), { timeout: 5000 }).toBe('Alice Smith');

      await server.stop();
      await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'reconnecting'), 10_000, 'Alice reconnecting');
      server = await startServer({ MEDIA_ENGINE: 'werift', PORT: String(port) });
      await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'joined'), 20_000, 'Alice back in the call');
      await waitFor(() => bob.evaluate(() => document.body.dataset.callState === 'joined'), 20_000, 'Bob back in the call');
      const aliceId = (await alice.evaluate(() => window.__call.participantId())) as string;
      const alicesTile = bob.locator(`[data-testid="tile"][data-participant-id="${aliceId}"] .name`);
      await expect.poll(() => alicesTile.textContent(), { timeout: 10_000 }).toBe('Alice Smith');
      expect(await alice.getByTestId('own-name').textContent()).toBe('Alice Smith');
    } finally {
      await browser.close();
    }
  });
});
