// End to end: chat in the call page. A message reaches the others as text (markup in it
// stays text), counts as unread on a closed panel, is there for someone who joins later,
// is refused clearly when sent too fast, and what was said while a page's socket was down
// shows up once it resumes (with the call's video). One node and a cluster (late joiner
// on another node).
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../helpers/signalingServer.js';
import type { ServerHandle } from '../helpers/serverProcess.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

const texts = (page: Page): Promise<string[]> => page.getByTestId('chat-text').allTextContents();
const names = (page: Page): Promise<string[]> => page.getByTestId('chat-name').allTextContents();

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-input').press('Enter');
}

describe.each(SHAPES)('chat in the call page, %s', (shape) => {
  const deployment = useCallDeployment(shape, { MEDIA_ENGINE: 'werift', RESUME_GRACE_MS: '20000' });
  const last = (): ServerHandle => deployment.servers[deployment.servers.length - 1]!;

  it('a message reaches the others as text, counts as unread until the panel opens, and a late joiner finds it', async () => {
    const room = 'chat';
    const alice = await openCall(deployment.browser, deployment.servers[0]!.url, room, 'Alice');
    const bob = await openCall(deployment.browser, deployment.servers[0]!.url, room, 'Bob');
    deployment.pages.push(alice, bob);

    await alice.getByTestId('toggle-chat').click();
    await expect.poll(() => alice.getByTestId('chat-empty').isVisible()).toBe(true);
    const hostile = '<img src=x onerror="window.__chatPwned=1"> hello\nsecond line';
    await send(alice, hostile);
    await expect.poll(() => texts(alice), { timeout: 5000 }).toEqual([hostile]);
    expect(await names(alice)).toEqual(['You']);
    // The box empties when the server's answer comes, which can follow the message itself.
    await expect.poll(() => alice.getByTestId('chat-input').inputValue(), { timeout: 5000 }).toBe('');

    // Bob's panel is closed: a badge and a toast say a message came.
    await expect.poll(() => bob.getByTestId('chat-unread').textContent(), { timeout: 5000 }).toBe('1');
    expect(await bob.getByTestId('chat-unread').isVisible()).toBe(true);
    expect(await bob.getByTestId('toast').allTextContents()).toContain(`Alice: ${hostile}`);
    await bob.getByTestId('toggle-chat').click();
    expect(await bob.getByTestId('chat-unread').isVisible()).toBe(false);
    expect(await texts(bob)).toEqual([hostile]);
    expect(await names(bob)).toEqual(['Alice']);
    // The markup stayed text: no image element, nothing ran.
    expect(await bob.getByTestId('chat-messages').locator('img').count()).toBe(0);
    expect(await bob.evaluate(() => (window as { __chatPwned?: number }).__chatPwned)).toBeUndefined();
    await send(bob, 'hi Alice');
    await expect.poll(() => texts(alice), { timeout: 5000 }).toEqual([hostile, 'hi Alice']);
    if (process.env.E2E_SCREENSHOTS) await bob.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/chat-panel.png` });

    // Carol joins later (on another node in a cluster): the history is there, and not unread.
    const carol = await openCall(deployment.browser, last().url, room, 'Carol');
    deployment.pages.push(carol);
    await carol.getByTestId('toggle-chat').click();
    expect(await texts(carol)).toEqual([hostile, 'hi Alice']);
    expect(await names(carol)).toEqual(['Alice', 'Bob']);
    // Opening the chat panel closes the stats panel, and the other way round.
    await carol.getByTestId('toggle-stats').click();
    expect(await carol.getByTestId('chat-panel').isVisible()).toBe(false);
    expect(await carol.getByTestId('stats-panel').isVisible()).toBe(true);
  });

  it('sending faster than the limit is refused under the box, and the text stays to send again', async () => {
    const alice = await openCall(deployment.browser, deployment.servers[0]!.url, 'chat-flood', 'Alice');
    deployment.pages.push(alice);
    await alice.getByTestId('toggle-chat').click();
    // The burst is 5 messages; the sixth and on, sent at once, are refused.
    for (let i = 1; i <= 8; i++) {
      await send(alice, `message ${i}`);
      await waitFor(async () => (await alice.getByTestId('chat-input').inputValue()) === '' || (await alice.getByTestId('chat-problem').isVisible()), 5000, `message ${i} answered`);
      if (await alice.getByTestId('chat-problem').isVisible()) break;
    }
    expect(await alice.getByTestId('chat-problem').textContent()).toMatch(/too fast/);
    const refused = await alice.getByTestId('chat-input').inputValue();
    expect(refused).toMatch(/^message \d$/);
    expect(await texts(alice)).not.toContain(refused);
    // A second later the bucket has a token again: Enter sends the same text, the warning goes.
    await waitFor(
      async () => {
        await alice.getByTestId('chat-input').press('Enter');
        await waitFor(async () => (await alice.getByTestId('chat-input').inputValue()) === '' || (await alice.getByTestId('chat-problem').textContent()) !== '', 5000, 'answered');
        return (await alice.getByTestId('chat-input').inputValue()) === '';
      },
      5000,
      'the refused message sent again',
    );
    await expect.poll(() => texts(alice), { timeout: 5000 }).toContain(refused);
    expect(await alice.getByTestId('chat-problem').isVisible()).toBe(false);
  });

  it('what was said while a page was away arrives when it resumes, once, and counts as unread', { timeout: 60_000 }, async () => {
    const room = 'chat-away';
    const proxy = await startTcpProxy(portOf(deployment.servers[0]!));
    try {
      const alice = await openCall(deployment.browser, proxy.url, room, 'Alice');
      const bob = await openCall(deployment.browser, last().url, room, 'Bob');
      deployment.pages.push(alice, bob);
      await bob.getByTestId('toggle-chat').click();
      await send(bob, 'before');
      await expect.poll(() => alice.getByTestId('chat-unread').textContent(), { timeout: 5000 }).toBe('1');

      // Alice's network goes: her socket drops and her reconnect attempts find nothing.
      proxy.retarget(await closedPort());
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'reconnecting'), 10_000, 'Alice reconnecting');
      await send(bob, 'while you were away');
      await expect.poll(() => texts(bob), { timeout: 5000 }).toEqual(['before', 'while you were away']);

      // The network is back (through another node in a cluster): she resumes and has both, once.
      proxy.retarget(portOf(last()));
      await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'joined'), 20_000, 'Alice back in the call');
      await expect.poll(() => alice.getByTestId('chat-unread').textContent(), { timeout: 5000 }).toBe('2');
      await alice.getByTestId('toggle-chat').click();
      expect(await texts(alice)).toEqual(['before', 'while you were away']);
      await send(bob, 'after');
      await expect.poll(() => texts(alice), { timeout: 5000 }).toEqual(['before', 'while you were away', 'after']);
      // The drop often lands while Alice's page is answering the offer for Bob's tracks:
      // the resumed session gets that offer again, and his video plays.
      const bobId = (await bob.evaluate(() => window.__call.participantId())) as string;
      await waitForMedia(alice, [bobId], { timeoutMs: 15_000 });
    } finally {
      await proxy.close();
    }
  });
});

function portOf(server: ServerHandle): number {
  return Number(new URL(server.url).port);
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
