// End to end: the people panel. Everyone in the call is listed, you first, with the
// microphone, camera and screen-share state the others see, and the list follows joins,
// changes and leaves; the button counts who is there.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useCallDeployment } from './callDeployment.js';
import { openCall } from './callPage.js';

const names = (page: Page): Promise<string[]> => page.getByTestId('person-name').allTextContents();
const row = (page: Page, id: string) => page.locator(`[data-testid="person"][data-participant-id="${id}"]`);

describe('the people panel, one node', () => {
  const deployment = useCallDeployment('one node', { MEDIA_ENGINE: 'werift' });

  it('lists everyone with what they send, and follows mutes, shares, joins and leaves', { timeout: 60_000 }, async () => {
    const url = deployment.servers[0]!.url;
    const alice = await openCall(deployment.browser, url, 'people', 'Alice');
    const bob = await openCall(deployment.browser, url, 'people', 'Bob');
    deployment.pages.push(alice, bob);
    const bobId = (await bob.evaluate(() => window.__call.participantId())) as string;

    await expect.poll(() => alice.getByTestId('people-count').textContent(), { timeout: 5000 }).toBe('2');
    await alice.getByTestId('toggle-people').click();
    await expect.poll(() => names(alice), { timeout: 5000 }).toEqual(['Alice (you)', 'Bob']);
    // Opening it closed nothing it should not have: it is the only side panel open.
    expect(await alice.getByTestId('chat-panel').isVisible()).toBe(false);

    await bob.getByTestId('toggle-mic').click();
    await expect.poll(() => row(alice, bobId).getByTestId('person-mic-off').count(), { timeout: 5000 }).toBe(1);
    expect(await row(alice, bobId).getByTestId('person-camera-off').count()).toBe(0);
    await bob.getByTestId('toggle-screen').click();
    await expect.poll(() => row(alice, bobId).getByTestId('person-screen').count(), { timeout: 10_000 }).toBe(1);
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/people-panel.png` });

    const carol = await openCall(deployment.browser, url, 'people', 'Carol');
    deployment.pages.push(carol);
    await expect.poll(() => names(alice), { timeout: 5000 }).toEqual(['Alice (you)', 'Bob', 'Carol']);
    expect(await alice.getByTestId('toggle-people').getAttribute('aria-label')).toBe('Hide people');
    await bob.getByTestId('leave').click();
    await expect.poll(() => names(alice), { timeout: 5000 }).toEqual(['Alice (you)', 'Carol']);
    await alice.getByTestId('toggle-people').click();
    expect(await alice.getByTestId('people-count').textContent()).toBe('2');
    expect(await alice.getByTestId('toggle-people').getAttribute('aria-label')).toBe('Show people (2)');
  });
});
