// Helpers for driving the call page in Chromium and reading what it receives.
import { createSocket } from 'node:dgram';
import type { Browser, Page } from 'playwright-core';
import type { ParticipantStats } from '../../client/call/call.js';
import type { CallDebugHook } from '../../client/ui/debugHook.js';

/** What one page receives from one remote participant (cumulative counters). */
export type RemoteMediaStats = ParticipantStats;

declare global {
  interface Window {
    /** Installed by the page (client/ui/debugHook.ts). */
    __call: CallDebugHook;
  }
}

/**
 * Opens a deep link in a fresh browser context and waits until the page has joined.
 * `token` replaces the development token endpoint (a token with other grants); `query`
 * adds URL parameters (e.g. `transport`).
 */
export async function openCall(browser: Browser, baseUrl: string, room: string, name: string, token?: string, query: Record<string, string> = {}): Promise<Page> {
  const context = await browser.newContext();
  if (token) {
    await context.route('**/api/token', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ token, identity: name, expiresIn: 600 }) }),
    );
  }
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[page ${name}] ${err.message}\n`));
  const params = new URLSearchParams({ room, name, ...query });
  await page.goto(`${baseUrl}/?${params.toString()}`);
  await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, `${name} joined ${room}`);
  return page;
}

export async function remoteStats(page: Page): Promise<RemoteMediaStats[]> {
  return page.evaluate(() => window.__call.stats());
}

/**
 * Waits until the page lists `expectedRemotes` remote participants and decodes video from
 * each, freshly: every one's decoded-frame counter rises between two readings.
 */
export async function decodesEveryone(page: Page, expectedRemotes: number, timeoutMs: number): Promise<void> {
  const first = new Map<string, number>();
  await waitFor(
    async () => {
      const ids = await page.evaluate(() => window.__call.remoteParticipants());
      if (ids.length !== expectedRemotes) return false;
      const stats = await remoteStats(page);
      return ids.every((id) => {
        const frames = stats.find((s) => s.participantId === id)?.framesDecoded ?? 0;
        if (frames <= 0) return false;
        const seen = first.get(id);
        if (seen === undefined) first.set(id, frames);
        return seen !== undefined && frames > seen;
      });
    },
    timeoutMs,
    `page decodes video from ${expectedRemotes} remote participant(s)`,
  );
}

/** Polls a condition until it holds; fails with a description after the deadline. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const described = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${described}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the page decodes video (framesDecoded rising between two reads) and, unless
 * told otherwise, receives audio from every given participant. Returns when it did.
 */
export async function waitForMedia(
  page: Page,
  participantIds: string[],
  opts: { timeoutMs: number; audio?: boolean; since?: number },
): Promise<number> {
  const wantAudio = opts.audio ?? true;
  const first = new Map<string, number>();
  let last: RemoteMediaStats[] = [];
  await waitFor(
    async () => {
      last = await remoteStats(page);
      return participantIds.every((id) => {
        const s = last.find((x) => x.participantId === id);
        if (!s || s.framesDecoded <= 0 || (wantAudio && s.audioBytesReceived <= 0)) return false;
        const seen = first.get(id);
        if (seen === undefined) {
          first.set(id, s.framesDecoded);
          return false;
        }
        return s.framesDecoded > seen;
      });
    },
    opts.timeoutMs - (opts.since ? Date.now() - opts.since : 0),
    // Described when it fails, so the message shows the last stats read, not the first.
    () => `media from ${participantIds.join(', ')}; last stats ${JSON.stringify(last)}`,
  );
  return Date.now();
}

/**
 * Fails unless every UDP port of the range can be bound on 127.0.0.1 again within 3 s. A
 * closed peer connection releases its socket a moment later (werift closes it
 * asynchronously, and nothing announces it), hence the short re-check of busy ports.
 */
/** Waits until at most `held` UDP ports of the range are bound (mediasoup's workers keep one each). */
export async function expectPortsFree(min: number, max: number, held = 0): Promise<void> {
  let busy = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const deadline = Date.now() + 3000;
  for (;;) {
    const still: number[] = [];
    for (const port of busy) if (!(await canBind(port))) still.push(port);
    busy = still;
    if (busy.length <= held) return;
    if (Date.now() > deadline) throw new Error(`UDP ports still bound 3 s after everyone left: ${busy.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function canBind(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => (ok ? socket.close(() => resolve()) : resolve()));
  return ok;
}
