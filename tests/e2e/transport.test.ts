// End to end: media over each kind of path a person can force from the join form or the
// URL (transport=udp|tcp|turn). Two Chromium pages, the real server with ICE-TCP on, and
// a real coturn on loopback that accepts only TCP and TURN REST credentials.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransportFigures } from '../../client/call/stats/transport.js';
import { launchChromium } from '../helpers/browser.js';
import { ENGINES, engineEnv } from '../helpers/engines.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { startTurnServer, type TurnHandle } from '../helpers/turn.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

describe.each(ENGINES)('on %s', (engine) => {
  let turn: TurnHandle;
  let server: ServerHandle;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    turn = await startTurnServer();
    server = await startServer({ RTC_ICE_TCP: 'true', TURN_SECRET: turn.secret, TURN_URLS: turn.url, TURN_TTL_SECONDS: '600', ...engineEnv(engine) });
    browser = await launchChromium();
  });

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.context().close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await turn?.stop();
  });

  /** Two pages on `transport` that decode each other's video; returns both peer connections' selected paths of the first. */
  async function callOver(room: string, transport: string): Promise<{ uplink: TransportFigures; downlink: TransportFigures }> {
    const a = await openCall(browser, server.url, room, 'Alice', undefined, { transport });
    pages.push(a);
    const b = await openCall(browser, server.url, room, 'Bob', undefined, { transport });
    pages.push(b);
    const [aId, bId] = (await Promise.all([a, b].map((p) => p.evaluate(() => window.__call.participantId())))) as [string, string];
    await waitForMedia(a, [bId], { timeoutMs: 20_000 });
    await waitForMedia(b, [aId], { timeoutMs: 20_000 });
    let uplink: TransportFigures | undefined;
    let downlink: TransportFigures | undefined;
    await waitFor(
      async () => {
        const q = await a.evaluate(() => window.__call.quality());
        uplink = q?.uplink?.transport;
        downlink = q?.remotes.find((r) => r.participantId === bId)?.transport;
        return uplink?.protocol !== undefined && downlink?.protocol !== undefined;
      },
      10_000,
      'the selected candidate pair of both peer connections',
    );
    return { uplink: uplink as TransportFigures, downlink: downlink as TransportFigures };
  }

  describe('media over a forced transport', () => {
    it('Force TCP: both peer connections select a direct TCP pair (ICE-TCP) and video decodes', async () => {
      // No retry: the two werift DTLS defects that made ICE-TCP calls fail now and then are
      // worked around in server/sfu (rtcConfig.ts, dtlsClientGuard.ts; see client/QUALITY.md).
      const { uplink, downlink } = await callOver('over-tcp', 'tcp');
      for (const path of [uplink, downlink]) {
        expect(path).toMatchObject({ protocol: 'tcp', remoteCandidateType: 'host', relayed: false });
        // Chromium's active TCP candidate has the discard port 9; the connection it opens has
        // a real local port, which it reports as a peer-reflexive candidate.
        expect(['host', 'prflx']).toContain(path.localCandidateType);
      }
    });

    it('Force TURN: both peer connections are relayed through coturn, reached over TCP, and video decodes', async () => {
      const { uplink, downlink } = await callOver('over-turn', 'turn');
      for (const path of [uplink, downlink]) {
        expect(path).toMatchObject({ localCandidateType: 'relay', relayProtocol: 'tcp', relayed: true });
      }
      // coturn accepted the short-lived credentials the server handed out with the join.
      expect(turn.logs.some((line) => /ALLOCATE processed, success/.test(line))).toBe(true);
    });

    it('Force UDP: both peer connections select a direct UDP pair', async () => {
      const { uplink, downlink } = await callOver('over-udp', 'udp');
      for (const path of [uplink, downlink]) {
        expect(path).toMatchObject({ protocol: 'udp', localCandidateType: 'host', relayed: false });
      }
    });

    it('switching a live call from UDP to TCP rejoins over ICE-TCP, and video decodes again both ways', async () => {
      const a = await openCall(browser, server.url, 'switch', 'Alice', undefined, { transport: 'udp' });
      pages.push(a);
      const b = await openCall(browser, server.url, 'switch', 'Bob', undefined, { transport: 'udp' });
      pages.push(b);
      const bId = (await b.evaluate(() => window.__call.participantId())) as string;
      const before = (await a.evaluate(() => window.__call.participantId())) as string;
      await waitForMedia(a, [bId], { timeoutMs: 20_000 });

      await a.getByTestId('transport-switch').selectOption('tcp');
      let after: string | undefined;
      await waitFor(
        async () => {
          after = await a.evaluate(() => (window.__call.state() === 'joined' ? window.__call.participantId() : undefined));
          return after !== undefined && after !== before;
        },
        15_000,
        'Alice rejoined',
      );
      await waitForMedia(a, [bId], { timeoutMs: 20_000 });
      await waitForMedia(b, [after as string], { timeoutMs: 20_000 });
      let uplink: TransportFigures | undefined;
      await waitFor(
        async () => {
          uplink = (await a.evaluate(() => window.__call.quality()))?.uplink?.transport;
          return uplink?.protocol !== undefined;
        },
        10_000,
        "Alice's new uplink path",
      );
      expect(uplink).toMatchObject({ protocol: 'tcp', relayed: false });
      expect(new URL(a.url()).searchParams.get('transport')).toBe('tcp');
      expect(await a.getByTestId('transport-switch').inputValue()).toBe('tcp');
    });

    it('the join form offers the choice, prefilled from the URL, and the call keeps it in its link', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      pages.push(page);
      await page.goto(`${server.url}/?room=form-choice&transport=turn`);
      const select = page.getByTestId('join-transport');
      expect(await select.inputValue()).toBe('turn');
      await select.selectOption('tcp');
      await page.locator('#join-name').fill('Carol');
      await page.getByTestId('join').click();
      await waitFor(() => page.evaluate(() => document.body.dataset.callState === 'joined'), 10_000, 'Carol joined from the form');
      expect(new URL(page.url()).searchParams.get('transport')).toBe('tcp');
    });
  });
});
