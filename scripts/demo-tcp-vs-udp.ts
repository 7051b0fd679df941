// The TCP vs UDP experiment: the same two-person call, and the same probe messages, over
// UDP, over TCP to the SFU (ICE-TCP) and relayed by TURN over TCP, under the same network
// impairments in turn. Prints a Markdown table and writes reports/tcp-vs-udp-<time>.{md,html,json}.
//
// As root on Linux (netns mode): the server and coturn run in one network namespace, the
// headless Chromium pages in another, and every packet between them crosses an impaired
// link (scripts/netlab). Otherwise (reduced mode): loopback, UDP only, the SFU's own
// impairment of what it forwards; the report says what that cannot show.
//
// Usage: npm run demo:tcp-vs-udp [-- --seconds 8] [-- --transports udp,tcp,turn] [-- --out reports]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { PROBE_DEADLINE_MS, PROBE_PATHS, type ProbePath } from '../client/call/stats/probes.js';
import { openCall, waitFor, waitForMedia } from '../tests/e2e/callPage.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServer, type ServerHandle } from '../tests/helpers/serverProcess.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { startLabServices, type LabServices } from './netlab/labServices.js';
import { netLabProblem, type NetLab } from './netlab/netlab.js';
import { LINK_IMPAIRMENT_NOTE, linkImpairer, measureProfile, SETTLE_MS, SFU_IMPAIRMENT_NOTE, sfuImpairer, type WindowMeasurement } from './tcp-vs-udp/measure.js';
import { renderHtml, renderMarkdown } from './tcp-vs-udp/report.js';
import type { ExperimentRun, ImpairmentProfile, Measurement, MediaTransport } from './tcp-vs-udp/results.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    transports: { type: 'string', default: 'udp,tcp,turn' },
    out: { type: 'string', default: 'reports' },
  },
});
const windowSeconds = Number(args.seconds);
if (!Number.isFinite(windowSeconds) || windowSeconds < 4 || windowSeconds > 60) {
  process.stderr.write('--seconds must be between 4 and 60\n');
  process.exit(2);
}
const wanted = args.transports.split(',').map((t) => t.trim());
const unknown = wanted.filter((t) => !['udp', 'tcp', 'turn'].includes(t));
if (unknown.length > 0) {
  process.stderr.write(`--transports takes udp, tcp and turn; unknown: ${unknown.join(', ')}\n`);
  process.exit(2);
}

const WARM_UP_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PROFILES: ImpairmentProfile[] = [
  { id: 'clean', label: 'No impairment', delayMs: 0, jitterMs: 0, loss: 0 },
  { id: 'delay', label: '50 ± 10 ms delay', delayMs: 50, jitterMs: 10, loss: 0 },
  { id: 'loss-1', label: '1% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0.01 },
  { id: 'loss-5', label: '5% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0.05 },
  { id: 'loss-10', label: '10% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0.1 },
  { id: 'burst', label: '2 s burst of 30% loss, 50 ms delay', delayMs: 50, jitterMs: 0, loss: 0, burst: { loss: 0.3, afterMs: 2000, durationMs: 2000 } },
];

const problem = netLabProblem();
const mode: ExperimentRun['mode'] = problem ? 'reduced' : 'netns';
const transports: MediaTransport[] = mode === 'netns' ? (wanted as MediaTransport[]) : ['udp'];
const notMeasured: string[] = [];
if (problem) {
  process.stdout.write(`Reduced mode: ${problem}.\nRunning on loopback with the SFU's own impairment, UDP only.\n\n`);
  notMeasured.push(
    `TCP paths (ICE-TCP, TURN/TCP): ${problem}. The SFU's impairment drops packets before they reach the transport, so TCP would never see (or retransmit) them: a TCP comparison made that way would be false.`,
    "Message probes under impairment: the SFU impairs the media it forwards, not data channel or WebSocket messages; the probe figures are for a clean loopback path.",
  );
}
notMeasured.push(
  'End-to-end frame delay (camera to screen): the fake camera carries no capture timestamps a receiver can read, so it would need frame marking or an absolute-capture-time extension end to end. The jitter-buffer delay is the receiving side of it.',
);

// A run is bounded: 3 transports x 6 profiles x (settle + window + deadline) plus joins, with room to spare.
const perWindowMs = SETTLE_MS + windowSeconds * 1000 + PROBE_DEADLINE_MS + 500;
// (+ a minute per transport for joining and the warm-up)
const limitMs = transports.length * (PROFILES.length * perWindowMs + 60_000) + 60_000;
const watchdog = setTimeout(() => {
  process.stderr.write(`\nThe run took longer than ${Math.round(limitMs / 1000)} s: stopping.\n`);
  process.exit(1);
}, limitMs);
watchdog.unref();

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

function pathText(t: { protocol?: string; localCandidateType?: string; remoteCandidateType?: string; relayProtocol?: string } | undefined): string {
  if (!t) return '';
  const relay = t.relayProtocol ? ` (relay over ${t.relayProtocol})` : '';
  return `${t.protocol ?? '?'} ${t.localCandidateType ?? '?'}→${t.remoteCandidateType ?? '?'}${relay}`;
}

function summaryLine(m: WindowMeasurement): string {
  const probe = (p: ProbePath): string => {
    const f = m.probes[p];
    return f.sent > 0 ? `${p} p99 ${f.p99Ms?.toFixed(0) ?? '–'} ms ${((f.deliveryRatio ?? 0) * 100).toFixed(1)}%` : `${p} –`;
  };
  return `${PROBE_PATHS.map(probe).join(', ')}; video ${m.video.fps?.toFixed(1) ?? '–'} fps, ${m.video.freezeCount ?? '–'} freezes`;
}

async function runTransport(browser: Browser, server: ServerHandle, transport: MediaTransport, lab: NetLab | undefined): Promise<Measurement[]> {
  const room = `tcp-vs-udp-${transport}`;
  // In reduced mode Alice is an admin: her page sets the SFU's impairment.
  const aliceToken = lab ? undefined : adminToken(room);
  const alice = await openCall(browser, server.url, room, 'Alice', aliceToken, { transport });
  const bob = await openCall(browser, server.url, room, 'Bob', undefined, { transport });
  try {
    const bobId = await bob.evaluate(() => window.__call.participantId());
    const aliceId = await alice.evaluate(() => window.__call.participantId());
    if (!bobId || !aliceId) throw new Error('a page has no participant id');
    await Promise.all([waitForMedia(alice, [bobId], { timeoutMs: 30_000 }), waitForMedia(bob, [aliceId], { timeoutMs: 30_000 })]);
    // The selected candidate pair, as the quality panel shows it (measured once a second).
    let path = '';
    await waitFor(
      async () => {
        const quality = await alice.evaluate(() => window.__call.quality());
        path = pathText(quality?.remotes.find((r) => r.participantId === bobId)?.transport);
        return path !== '';
      },
      10_000,
      "the path Alice's page receives Bob on",
    );
    say(`${transport}: connected, ${path}; letting the video ramp up for ${WARM_UP_MS / 1000} s`);
    // Chromium starts a call at a low bitrate and frame rate and raises both over seconds;
    // the first profile would otherwise measure the ramp, not the network.
    await sleep(WARM_UP_MS);
    const impairer = lab ? linkImpairer(lab) : sfuImpairer(alice);
    const out: Measurement[] = [];
    for (const profile of PROFILES) {
      process.stdout.write(`  ${profile.label}: measuring ${windowSeconds} s… `);
      const m = await measureProfile(alice, impairer, profile, windowSeconds, bobId);
      say(summaryLine(m));
      out.push({ ...m, transport, path });
    }
    await impairer.set(0, 0, 0);
    return out;
  } finally {
    await Promise.all([alice.context().close(), bob.context().close()]);
  }
}

/** Signed here with the server's secret, as an application backend would: the development endpoint never grants admin. */
function adminToken(room: string): string {
  return signedToken({ room, name: 'Alice', identity: 'alice', grants: { publish: true, subscribe: true, admin: true }, exp: Math.floor(Date.now() / 1000) + 3600 });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const run: ExperimentRun = {
    startedAt: startedAt.toISOString(),
    mode,
    machine: `${os.type()} ${os.release()}, ${os.cpus().length} cores, Node ${process.version}`,
    windowSeconds,
    impairmentNote: mode === 'netns' ? LINK_IMPAIRMENT_NOTE : SFU_IMPAIRMENT_NOTE,
    profiles: PROFILES,
    transports,
    measurements: [],
    notMeasured,
  };
  let services: LabServices | undefined;
  let server: ServerHandle | undefined;
  let browser: Browser | undefined;
  try {
    if (mode === 'netns') {
      say('Building the lab: two network namespaces joined by an impaired link…');
      services = await startLabServices({ turn: transports.includes('turn') });
      ({ server, browser } = services);
    } else {
      // The SFU's own impairment exists on the werift engine only.
      server = await startServer({ LOG_LEVEL: 'warn', SFU_IMPAIRMENT: 'true', MEDIA_ENGINE: 'werift' });
      browser = await launchChromium();
    }
    run.machine += `, Chromium ${browser.version()}`;
    for (const transport of transports) {
      try {
        run.measurements.push(...(await runTransport(browser, server, transport, services?.lab)));
      } catch (err) {
        const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
        say(`\n${transport}: failed: ${why}`);
        run.notMeasured.push(`${transport}: the run failed: ${why}`);
      }
    }
  } finally {
    if (services) {
      await services.close();
    } else {
      await browser?.close().catch(() => undefined);
      await server?.stop().catch(() => undefined);
    }
  }

  const markdown = renderMarkdown(run);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  await mkdir(args.out, { recursive: true });
  const base = path.join(args.out, `tcp-vs-udp-${stamp}`);
  await writeFile(`${base}.md`, markdown);
  await writeFile(`${base}.html`, renderHtml(run));
  await writeFile(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
  say(`\n${markdown}\nWrote ${base}.html, .md and .json`);
}

await main();
