// End to end: screen sharing in Chromium (its fake capture needs no picker here). A share
// reaches the others as a large tile of its own beside the camera tiles, and a late
// joiner gets it too; stopping it takes the tile away everywhere; sharing again works on
// the same m-line. Both engines, one node and a cluster.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { engineEnv, SHAPES_AND_ENGINES } from '../helpers/engines.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

/** Frames the screen tile of `participantId` has shown so far (0 without one). */
function screenFrames(page: Page, participantId: string): Promise<number> {
  return page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(`[data-testid="screen-tile"][data-participant-id="${id}"] video`);
    return video && video.videoWidth > 0 ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  }, participantId);
}

/** Waits until the screen tile of `participantId` shows moving pictures. */
async function screenPlays(page: Page, participantId: string, what: string): Promise<void> {
  let first = 0;
  await waitFor(
    async () => {
      const frames = await screenFrames(page, participantId);
      if (frames === 0) return false;
      if (first === 0) first = frames;
      return frames >= first + 5;
    },
    15_000,
    what,
  );
}

describe.each(SHAPES_AND_ENGINES)('screen sharing, %s, on %s', (shape, engine) => {
  const deployment = useCallDeployment(shape, engineEnv(engine));
  const last = () => deployment.servers[deployment.servers.length - 1]!;

  it('a share shows as its own tile for the others and a late joiner, goes away when stopped, and can start again', { timeout: 90_000 }, async () => {
    const room = 'present';
    const alice = await openCall(deployment.browser, deployment.servers[0]!.url, room, 'Alice');
    const bob = await openCall(deployment.browser, last().url, room, 'Bob');
    deployment.pages.push(alice, bob);
    const aliceId = (await alice.evaluate(() => window.__call.participantId())) as string;
    const share = alice.getByTestId('toggle-screen');
    expect(await share.getAttribute('aria-label')).toBe('Share your screen');

    await share.click();
    await expect.poll(() => share.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true');
    // The presenter sees what is shared.
    expect(await alice.getByTestId('screen-tile').locator('.name').textContent()).toBe('Your screen');
    const bobsView = bob.locator(`[data-testid="screen-tile"][data-participant-id="${aliceId}"]`);
    await expect.poll(() => bobsView.count(), { timeout: 15_000 }).toBe(1);
    expect(await bobsView.locator('.name').textContent()).toBe("Alice's screen");
    await screenPlays(bob, aliceId, "Alice's screen playing for Bob");
    // The "starting" note gave way to the picture.
    expect(await bobsView.getByTestId('screen-waiting').isVisible()).toBe(false);
    // Her camera goes on in its own tile.
    await waitForMedia(bob, [aliceId], { timeoutMs: 10_000 });
    if (process.env.E2E_SCREENSHOTS) await bob.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/screen-share-${shape.replace(/ /g, '-')}-${engine}.png` });

    const carol = await openCall(deployment.browser, last().url, room, 'Carol');
    deployment.pages.push(carol);
    await screenPlays(carol, aliceId, "Alice's screen playing for Carol, who joined during the share");

    await share.click();
    await expect.poll(() => share.getAttribute('aria-pressed'), { timeout: 5000 }).toBe('false');
    expect(await alice.getByTestId('screen-tile').count()).toBe(0);
    for (const page of [bob, carol]) await expect.poll(() => page.getByTestId('screen-tile').count(), { timeout: 10_000 }).toBe(0);
    // The camera tiles stay, and Alice's camera still plays.
    await waitForMedia(bob, [aliceId], { timeoutMs: 10_000 });

    await share.click();
    await screenPlays(bob, aliceId, "Alice's second share playing for Bob");
    await screenPlays(carol, aliceId, "Alice's second share playing for Carol");
  });
});
