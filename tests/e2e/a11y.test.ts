// End to end: the page with the keyboard and through the accessibility tree, in Chromium
// against the real server. Every control has an accessible name (the accessibility
// snapshot of the join form and of the call), Tab reaches every control that can be
// used, and the control with the keyboard focus is visibly marked.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, waitFor } from './callPage.js';

let server: ServerHandle;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  server = await startServer({ MEDIA_ENGINE: 'werift' });
  browser = await launchChromium();
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.context().close()));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A control in the accessibility snapshot without a name: "- button" with no quoted name after it. */
const UNNAMED = /^\s*- (button|textbox|combobox|checkbox|link|slider|spinbutton)(?! ")/m;

interface Focused {
  /** A stable description of the element: tag, test id or name. */
  key: string;
  /** A focus mark a person can see: an outline or a ring of box-shadow, at least 2 px. */
  visibleMark: boolean;
}

/** Presses Tab until the focus comes round again (at most `max` times); what got the focus, in order. */
async function tabThrough(page: Page, max = 40): Promise<Focused[]> {
  const seen: Focused[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      if (!e || e === document.body) return undefined;
      const cs = getComputedStyle(e);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      const ring = cs.boxShadow !== 'none' && cs.boxShadow !== '';
      return { key: `${e.tagName.toLowerCase()}:${e.dataset.testid || e.getAttribute('aria-label') || e.id || e.textContent?.trim()}`, visibleMark: outline || ring };
    });
    if (!focused) continue;
    if (seen.some((f) => f.key === focused.key)) break;
    seen.push(focused);
  }
  return seen;
}

/** Every control a person could use now: visible, enabled buttons, inputs, selects, links, and regions made focusable to scroll. */
async function usableControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [tabindex="0"]')]
      .filter((e) => !(e as HTMLButtonElement).disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
      .map((e) => `${e.tagName.toLowerCase()}:${e.dataset.testid || e.getAttribute('aria-label') || e.id || e.textContent?.trim()}`),
  );
}

describe('keyboard and screen reader', () => {
  it('the join form: named fields and button in the accessibility tree, Tab reaches each with a visible focus', async () => {
    const page = await (await browser.newContext()).newPage();
    pages.push(page);
    await page.goto(`${server.url}/?room=a11y-form`);
    await page.getByRole('button', { name: 'Join' }).waitFor();

    const snapshot = await page.locator('body').ariaSnapshot();
    expect(snapshot).toContain('heading "Join a call"');
    expect(snapshot).toContain('textbox "Room"');
    expect(snapshot).toContain('textbox "Your name"');
    expect(snapshot).toContain('combobox "Media transport"');
    expect(snapshot).toContain('button "Join"');
    // The device check beside the form: the three pickers and the microphone's level.
    await expect.poll(() => page.getByTestId('join-camera').locator('option').count()).toBeGreaterThan(0);
    const devices = await page.getByTestId('device-preview').ariaSnapshot();
    for (const part of ['combobox "Camera"', 'combobox "Microphone"', 'combobox "Speaker"', 'meter "Microphone level"']) expect(devices, devices).toContain(part);
    expect(snapshot, snapshot).not.toMatch(UNNAMED);

    const reached = await tabThrough(page);
    const controls = await usableControls(page);
    expect(reached.map((f) => f.key).sort(), `Tab reached ${reached.map((f) => f.key).join(', ')}`).toEqual([...controls].sort());
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);

    // The form works from the keyboard alone: type a name, Enter joins.
    await page.getByRole('textbox', { name: 'Your name' }).focus();
    await page.keyboard.type('Kay');
    await page.keyboard.press('Enter');
    await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Kay joined from the keyboard');
  });

  it('the call page: every button named, Tab reaches each one (and the stats panel, the chat panel, the name dialog and the devices dialog opened with Enter), each visibly focused', async () => {
    const page = await openCall(browser, server.url, 'a11y-call', 'Alice');
    pages.push(page);
    await page.getByRole('button', { name: 'Mute microphone' }).waitFor();

    const snapshot = await page.locator('body').ariaSnapshot();
    for (const name of ['Mute microphone', 'Turn camera off', 'Show chat', 'Show stats', 'Camera, microphone and speaker', 'Leave', 'Copy link', 'Change your name (Alice)']) expect(snapshot).toContain(`button "${name}"`);
    expect(snapshot, snapshot).not.toMatch(UNNAMED);
    if (process.env.E2E_SCREENSHOTS) {
      await page.keyboard.press('Tab');
      await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/a11y-call-focus.png` });
      await page.keyboard.press('Shift+Tab');
    }

    let reached = await tabThrough(page);
    let controls = await usableControls(page);
    expect(reached.map((f) => f.key).sort(), `Tab reached ${reached.map((f) => f.key).join(', ')}`).toEqual([...controls].sort());
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);

    // Open the stats panel from the keyboard: its exports and Close are reachable too.
    await page.getByRole('button', { name: 'Show stats' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('stats-panel').waitFor();
    const panel = await page.getByTestId('stats-panel').ariaSnapshot();
    expect(panel).toContain('button "Close stats"');
    expect(panel, panel).not.toMatch(UNNAMED);
    reached = await tabThrough(page);
    controls = await usableControls(page);
    expect(reached.map((f) => f.key).sort(), `Tab reached ${reached.map((f) => f.key).join(', ')}`).toEqual([...controls].sort());
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/a11y-call-stats.png` });

    // The chat panel from the keyboard: it takes the stats panel's place, and its box has focus.
    await page.getByRole('button', { name: 'Show chat' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('chat-panel').waitFor();
    const chat = await page.getByTestId('chat-panel').ariaSnapshot();
    expect(chat).toContain('textbox "Message everyone"');
    expect(chat).toContain('button "Close chat"');
    expect(chat, chat).not.toMatch(UNNAMED);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('chat-input');
    reached = await tabThrough(page);
    controls = await usableControls(page);
    expect(reached.map((f) => f.key).sort(), `Tab reached ${reached.map((f) => f.key).join(', ')}`).toEqual([...controls].sort());
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);

    // The name dialog: modal, so Tab stays in it; Escape closes it.
    await page.getByRole('button', { name: 'Change your name (Alice)' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('rename-dialog');
    await dialog.waitFor();
    const named = await dialog.ariaSnapshot();
    for (const part of ['textbox "Your name"', 'button "Cancel"', 'button "Save"']) expect(named).toContain(part);
    expect(named, named).not.toMatch(UNNAMED);
    reached = await tabThrough(page);
    expect(reached.map((f) => f.key).sort()).toEqual(['button:rename-cancel', 'button:rename-save', 'input:rename-input']);
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    // The devices dialog: modal too, its pickers named, Done closes it.
    await page.getByRole('button', { name: 'Camera, microphone and speaker' }).focus();
    await page.keyboard.press('Enter');
    const devices = page.getByTestId('devices-dialog');
    await devices.waitFor();
    await expect.poll(() => page.getByTestId('devices-camera').isEnabled()).toBe(true);
    const pickers = await devices.ariaSnapshot();
    for (const part of ['combobox "Camera"', 'combobox "Microphone"', 'combobox "Speaker"', 'meter "Microphone level"', 'button "Done"']) expect(pickers, pickers).toContain(part);
    expect(pickers, pickers).not.toMatch(UNNAMED);
    reached = await tabThrough(page);
    expect(reached.map((f) => f.key).sort()).toEqual(['button:devices-done', 'select:devices-camera', 'select:devices-microphone', 'select:devices-speaker']);
    for (const f of reached) expect(f.visibleMark, `${f.key} has no visible focus mark`).toBe(true);
    await page.getByTestId('devices-done').press('Enter');
    await expect.poll(() => devices.isVisible()).toBe(false);
  });
});
