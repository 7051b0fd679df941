// End to end: who speaks and who is here. Chromium's fake microphone beeps, so every
// unmuted page speaks: its tile gets a green ring on the others' pages and its own. A
// muted microphone never counts, however loud the room. The people panel lists everyone,
// you first, with microphone and camera off, speaking, and the connection's quality; the
// control bar's button carries the headcount. The speaker view shows the one who speaks
// large. Both engines.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { engineEnv, ENGINES } from '../helpers/engines.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall } from './callPage.js';

function speaking(page: Page, selector: string): Promise<string | null> {
  return page.locator(selector).getAttribute('data-speaking');
}

describe.each(ENGINES)('speakers and people, on %s', (engine) => {
  const deployment = useCallDeployment('one node', engineEnv(engine));

  it('a speaking participant is ringed for everyone, a muted one never, and the people panel says who is here and how they are', { timeout: 60_000 }, async () => {
    const url = deployment.servers[0]!.url;
    const alice = await openCall(deployment.browser, url, 'people', 'Alice');
    const bob = await openCall(deployment.browser, url, 'people', 'Bob');
    deployment.pages.push(alice, bob);
    const bobId = (await bob.evaluate(() => window.__call.participantId())) as string;
    const bobsTile = `[data-testid="tile"][data-participant-id="${bobId}"]`;

    await expect.poll(() => speaking(alice, bobsTile), { timeout: 10_000 }).toBe('true');
    await expect.poll(() => speaking(alice, '[data-testid="local-tile"]'), { timeout: 10_000 }).toBe('true');
    expect(await alice.locator(bobsTile).evaluate((e) => getComputedStyle(e).boxShadow)).not.toBe('none');

    await alice.getByTestId('toggle-people').click();
    expect(await alice.getByTestId('toggle-people').getAttribute('aria-label')).toBe('Hide people (2)');
    await expect.poll(() => alice.getByTestId('person-name').allTextContents()).toEqual(['Alice (you)', 'Bob']);
    const bobsRow = alice.locator(`[data-testid="person"][data-participant-id="${bobId}"]`);
    await expect.poll(() => bobsRow.getAttribute('data-speaking'), { timeout: 5000 }).toBe('true');
    await expect.poll(() => bobsRow.getByTestId('person-quality').textContent(), { timeout: 10_000 }).toMatch(/^(Good|Fair|Poor)$/);
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/people-${engine}.png` });

    // Speaker view: the one who speaks (Bob, the only other) large, Alice's own tile small.
    await alice.getByTestId('toggle-layout').click();
    expect(await alice.getByTestId('toggle-layout').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => alice.locator(bobsTile).getAttribute('class')).toContain('featured');
    const width = (selector: string) => alice.locator(selector).evaluate((e) => e.getBoundingClientRect().width);
    await expect.poll(async () => (await width(bobsTile)) / (await width('[data-testid="local-tile"]'))).toBeGreaterThan(2);
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/speaker-view-${engine}.png` });
    await alice.getByTestId('toggle-layout').click();
    await expect.poll(async () => Math.abs((await width(bobsTile)) - (await width('[data-testid="local-tile"]')))).toBeLessThan(2);

    // Bob mutes: his ring goes within the hold and a reading, and stays off.
    await bob.getByTestId('toggle-mic').click();
    await expect.poll(() => speaking(alice, bobsTile), { timeout: 4000 }).toBe('false');
    await expect.poll(() => bobsRow.getByTestId('person-mic-off').count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => speaking(bob, '[data-testid="local-tile"]'), { timeout: 4000 }).toBe('false');
    // Every reading for 3 s: not one says Bob speaks.
    for (const until = Date.now() + 3000; Date.now() < until; ) {
      expect(await speaking(alice, bobsTile)).toBe('false');
      expect(await bobsRow.getAttribute('data-speaking')).toBe('false');
      await alice.waitForTimeout(200);
    }
    // Alice goes on speaking meanwhile: the room is not simply silent.
    await expect.poll(() => speaking(bob, '[data-testid="tile"]'), { timeout: 5000 }).toBe('true');

    await bob.getByTestId('toggle-camera').click();
    await expect.poll(() => bobsRow.getByTestId('person-camera-off').count(), { timeout: 5000 }).toBe(1);
    await bob.getByTestId('toggle-mic').click();
    await expect.poll(() => speaking(alice, bobsTile), { timeout: 10_000 }).toBe('true');

    await bob.getByTestId('leave').click();
    await expect.poll(() => alice.getByTestId('person-name').allTextContents(), { timeout: 5000 }).toEqual(['Alice (you)']);
    expect(await alice.getByTestId('toggle-people').getAttribute('aria-label')).toBe('Hide people (1)');
  });
});
