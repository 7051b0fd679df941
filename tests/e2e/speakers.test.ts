// End to end: who is speaking. Chromium's fake microphone beeps, so an unmuted page
// "speaks": its tile gets the speaking ring on the others' pages (and on its own), the
// muted ones do not, and the active speaker moves when the speaker changes. Both engines.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { engineEnv, ENGINES } from '../helpers/engines.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor } from './callPage.js';

const tileOf = (page: Page, id: string) => page.locator(`[data-testid="tile"][data-participant-id="${id}"]`);

async function mute(page: Page): Promise<void> {
  await page.getByTestId('toggle-mic').click();
  await expect.poll(() => page.getByTestId('toggle-mic').getAttribute('aria-pressed')).toBe('true');
}

describe.each(ENGINES)('active speaker, one node, on %s', (engine) => {
  const deployment = useCallDeployment('one node', engineEnv(engine));

  it('the unmuted participant is ringed as speaking for the others and themself; the role moves when someone else speaks', { timeout: 60_000 }, async () => {
    const url = deployment.servers[0]!.url;
    const alice = await openCall(deployment.browser, url, 'speak', 'Alice');
    const bob = await openCall(deployment.browser, url, 'speak', 'Bob');
    const carol = await openCall(deployment.browser, url, 'speak', 'Carol');
    deployment.pages.push(alice, bob, carol);
    const [aliceId, bobId, carolId] = (await Promise.all([alice, bob, carol].map((p) => p.evaluate(() => window.__call.participantId())))) as [string, string, string];
    await mute(bob);
    await mute(carol);

    await waitFor(async () => (await tileOf(bob, aliceId).getAttribute('data-active-speaker')) === 'true', 15_000, "Alice's tile the active speaker on Bob's page");
    expect(await tileOf(bob, aliceId).getAttribute('data-speaking')).toBe('true');
    await waitFor(async () => (await alice.getByTestId('local-tile').getAttribute('data-speaking')) === 'true', 10_000, "Alice's own tile ringed");
    // The muted stop speaking (within the hold that bridges a speaker's pauses) and stay so.
    await expect.poll(() => tileOf(bob, carolId).getAttribute('data-speaking'), { timeout: 5000 }).not.toBe('true');
    await expect.poll(() => tileOf(alice, bobId).getAttribute('data-speaking'), { timeout: 5000 }).not.toBe('true');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300));
      expect(await tileOf(bob, carolId).getAttribute('data-speaking')).not.toBe('true');
      expect(await tileOf(bob, aliceId).getAttribute('data-active-speaker')).toBe('true');
    }
    if (process.env.E2E_SCREENSHOTS) await bob.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/active-speaker-${engine}.png` });

    // Alice stops, Bob starts: the role moves to Bob.
    await mute(alice);
    await bob.getByTestId('toggle-mic').click();
    await waitFor(async () => (await tileOf(carol, bobId).getAttribute('data-active-speaker')) === 'true', 15_000, "Bob's tile the active speaker on Carol's page");
    await waitFor(async () => (await tileOf(carol, aliceId).getAttribute('data-speaking')) === 'false', 5_000, "Alice's ring gone on Carol's page");
  });
});
