// Launches Debian's Chromium through playwright-core with a fake camera and microphone,
// allowed to use loopback addresses for WebRTC. Fails loudly when Chromium is missing.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

export interface ChromiumOptions {
  /** Another executable that runs Chromium (e.g. a wrapper that enters a network namespace). */
  executablePath?: string;
  extraArgs?: string[];
}

export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const args = [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])];
  return chromium.launch({ executablePath: options.executablePath ?? CHROMIUM_PATH, headless: true, args });
}
