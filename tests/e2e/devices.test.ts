// End to end: choosing the camera, microphone and speaker. Chromium's fake devices give
// three cameras (device-count=3), three microphones and three speakers. The second fake
// camera delivers 16-bit depth frames (Y16), which WebRTC's encoders never send, so the
// test uses the first and the third (MJPEG). Before joining, the
// form shows the camera's picture and the microphone's level; the devices chosen there
// are the ones the call sends. During the call, another camera or microphone replaces
// the old one without renegotiating: the others keep the same tile and track, and their
// picture keeps moving from the new device. The choice is remembered for the next call.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { engineEnv, ENGINES } from '../helpers/engines.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

const THREE_CAMERAS = { extraArgs: ['--use-fake-device-for-media-stream=device-count=3'] };

/** The id of the option labelled `label` in the picker `testId`. */
function optionId(page: Page, testId: string, label: string): Promise<string> {
  return page.getByTestId(testId).locator('option', { hasText: label }).getAttribute('value').then((v) => v ?? '');
}

function selectedLabel(page: Page, testId: string): Promise<string | undefined> {
  return page.getByTestId(testId).evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent ?? undefined);
}

/** The id of the video track Bob's tile of `participantId` shows. */
function shownVideoTrack(page: Page, participantId: string): Promise<string | undefined> {
  return page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(`[data-testid="tile"][data-participant-id="${id}"] video`);
    return video?.srcObject instanceof MediaStream ? video.srcObject.getVideoTracks()[0]?.id : undefined;
  }, participantId);
}

describe.each(ENGINES)('choosing devices, on %s', (engine) => {
  const deployment = useCallDeployment('one node', engineEnv(engine), THREE_CAMERAS);

  it('the devices picked before joining are sent, a switch mid-call keeps the others’ picture moving, and the choice is remembered', { timeout: 90_000 }, async () => {
    const room = 'devices';
    const url = deployment.servers[0]!.url;
    const context = await deployment.browser.newContext();
    const alice = await context.newPage();
    deployment.pages.push(alice);
    await alice.goto(`${url}/?room=${room}`);

    // The preview: a moving picture, every device listed, the level of the microphone.
    await waitFor(() => alice.getByTestId('preview-video').evaluate((v: HTMLVideoElement) => v.videoWidth > 0), 10_000, 'the camera preview plays');
    await expect.poll(() => alice.getByTestId('join-camera').locator('option').allTextContents(), { timeout: 5000 }).toEqual(['fake_device_0', 'fake_device_1', 'fake_device_2']);
    expect(await alice.getByTestId('join-microphone').locator('option').count()).toBe(3);
    expect(await alice.getByTestId('join-speaker').locator('option').count()).toBe(3);
    await alice.locator('#join-name').fill('Alice');
    await expect.poll(async () => Number(await alice.getByTestId('preview-level').getAttribute('data-level')), { timeout: 10_000 }).toBeGreaterThan(0.05);

    const otherCamera = await optionId(alice, 'join-camera', 'fake_device_2');
    const firstCamera = await optionId(alice, 'join-camera', 'fake_device_0');
    const microphone = await optionId(alice, 'join-microphone', 'Fake Audio Input 1');
    const speaker = await optionId(alice, 'join-speaker', 'Fake Audio Output 1');
    await alice.getByTestId('join-camera').selectOption(otherCamera);
    await alice.getByTestId('join-microphone').selectOption(microphone);
    await alice.getByTestId('join-speaker').selectOption(speaker);
    await waitFor(
      () => alice.getByTestId('preview-video').evaluate((v: HTMLVideoElement, id) => v.srcObject instanceof MediaStream && v.srcObject.getVideoTracks()[0]?.getSettings().deviceId === id && v.getVideoPlaybackQuality().totalVideoFrames > 0, otherCamera),
      5000,
      'the preview shows the other camera',
    );
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/devices-prejoin.png` });
    await alice.getByTestId('join').click();
    await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Alice joined');
    expect(await alice.evaluate(() => window.__call.localDevices())).toEqual({ audio: microphone, video: otherCamera });

    const bob = await openCall(deployment.browser, url, room, 'Bob');
    deployment.pages.push(bob);
    const aliceId = (await alice.evaluate(() => window.__call.participantId())) as string;
    await waitForMedia(bob, [aliceId], { timeoutMs: 15_000 });
    // Bob's sound plays on the speaker Alice picked.
    await expect.poll(() => alice.locator('[data-testid="tile"] video').evaluate((v: HTMLVideoElement) => v.sinkId), { timeout: 5000 }).toBe(speaker);
    const trackBefore = await shownVideoTrack(bob, aliceId);
    expect(trackBefore).toBeDefined();

    // Mid-call: back to the first camera and the default microphone.
    await alice.getByTestId('open-devices').click();
    await expect.poll(() => selectedLabel(alice, 'devices-camera'), { timeout: 5000 }).toBe('fake_device_2');
    expect(await selectedLabel(alice, 'devices-microphone')).toBe('Fake Audio Input 1');
    expect(await selectedLabel(alice, 'devices-speaker')).toBe('Fake Audio Output 1');
    await alice.getByTestId('devices-camera').selectOption(firstCamera);
    await expect.poll(() => alice.evaluate(() => window.__call.localDevices().video), { timeout: 5000 }).toBe(firstCamera);
    await alice.getByTestId('devices-microphone').selectOption('default');
    await expect.poll(() => alice.evaluate(() => window.__call.localDevices().audio), { timeout: 5000 }).toBe('default');
    await expect.poll(async () => Number(await alice.getByTestId('devices-level').getAttribute('data-level')), { timeout: 10_000 }).toBeGreaterThan(0.05);
    // The old camera is released: its track ended, only one camera track is live.
    expect(await alice.evaluate(() => window.__call.localDevices())).toEqual({ audio: 'default', video: firstCamera });
    if (process.env.E2E_SCREENSHOTS) await alice.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/devices-dialog.png` });
    await alice.getByTestId('devices-done').click();

    // Bob: the same track on the same tile, still moving (the new camera's frames), still hearing Alice.
    const before = (await bob.evaluate(() => window.__call.stats())).find((s) => s.participantId === aliceId);
    await waitForMedia(bob, [aliceId], { timeoutMs: 10_000 });
    await waitFor(
      async () => {
        const now = (await bob.evaluate(() => window.__call.stats())).find((s) => s.participantId === aliceId);
        return (now?.framesDecoded ?? 0) > (before?.framesDecoded ?? 0) + 20 && (now?.audioBytesReceived ?? 0) > (before?.audioBytesReceived ?? 0);
      },
      10_000,
      'Bob decodes frames and receives sound from Alice after her switch',
    );
    expect(await shownVideoTrack(bob, aliceId)).toBe(trackBefore);

    // Remembered: the next visit's form, and a link that joins at once, use the last choice.
    await alice.getByTestId('leave').click();
    await waitFor(() => alice.evaluate(() => document.body.dataset.callState === 'left'), 10_000, 'Alice left');
    await alice.getByTestId('join-camera').locator('option').first().waitFor({ state: 'attached' });
    await expect.poll(() => selectedLabel(alice, 'join-camera'), { timeout: 5000 }).toBe('fake_device_0');
    expect(await selectedLabel(alice, 'join-speaker')).toBe('Fake Audio Output 1');
    await alice.getByTestId('join-camera').selectOption(otherCamera);
    await alice.getByTestId('join-microphone').selectOption(microphone);
    const again = await context.newPage();
    deployment.pages.push(again);
    await again.goto(`${url}/?room=${room}&name=Alice`);
    await waitFor(() => again.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Alice joined again by link');
    await expect.poll(() => again.evaluate(() => window.__call.localDevices()), { timeout: 10_000 }).toEqual({ audio: microphone, video: otherCamera });
  });
});
