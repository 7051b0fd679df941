// The call set up across the network lab: the server (and coturn, when asked) in the
// server namespace on 10.77.0.1, a headless Chromium in the client namespace. Used by
// the TCP vs UDP demonstration and its integration test.
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../../tests/helpers/browser.js';
import { startServer, type ServerHandle } from '../../tests/helpers/serverProcess.js';
import { startTurnServer, type TurnHandle } from '../../tests/helpers/turn.js';
import { createNetLab, SERVER_ADDRESS, type NetLab } from './netlab.js';

export interface LabServices {
  lab: NetLab;
  server: ServerHandle;
  turn: TurnHandle | undefined;
  browser: Browser;
  /** Stops everything and removes the namespaces; safe to call after a failed start. */
  close(): Promise<void>;
}

export async function startLabServices(options: { turn: boolean; serverEnv?: Record<string, string> }): Promise<LabServices> {
  const lab = await createNetLab({ chromiumPath: CHROMIUM_PATH });
  let server: ServerHandle | undefined;
  let turn: TurnHandle | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await turn?.stop().catch(() => undefined);
    await lab.close();
  };
  try {
    const placement = { netns: lab.serverNs, address: SERVER_ADDRESS };
    if (options.turn) turn = await startTurnServer(undefined, placement);
    const turnEnv: Record<string, string> = turn ? { TURN_SECRET: turn.secret, TURN_URLS: turn.url } : {};
    // The experiment's published figures (README, TCP vs UDP) are the werift engine's: its
    // SCTP is what the data-channel columns measure. MEDIA_ENGINE in serverEnv overrides.
    server = await startServer({ LOG_LEVEL: 'warn', MEDIA_ENGINE: 'werift', ...turnEnv, ...options.serverEnv }, placement);
    // The page comes over plain HTTP from a non-loopback address: let Chromium treat that
    // origin as secure, as it would https (camera, microphone, WebRTC).
    browser = await launchChromium({ executablePath: lab.chromiumInClientNs, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] });
    return { lab, server, turn, browser, close };
  } catch (err) {
    await close();
    throw err;
  }
}
