// Measures the call on this machine, on each media engine, and writes
// bench/results/call-<stamp>.json:
//  - first-frame: time from opening a deep link to the first decoded remote frame (median of --runs);
//  - cost: the server's CPU and memory idle and with 4 participants each publishing 640x480
//    video. The server is its process tree: Node and, with mediasoup, its worker processes;
//  - call: what a caller sees in a three-person call on one node, over a 10 s window that
//    starts 20 s after every page decodes everyone's video. Per received video stream:
//    median fps, frame height, jitter-buffer delay per frame, freezes. Per publisher: the
//    video bitrate, qualityLimitationReason, and its bandwidth estimate (targetBitrate and
//    the candidate pair's availableOutgoingBitrate: the fake camera's pattern compresses
//    so well that the bytes sent stay low even when the estimate is high).
// Chromium's fake camera runs at 30 fps (`--use-fake-device-for-media-stream=fps=30`; its
// default is 20): the call's targets are for a 30 fps camera, and the report shows the
// rate the camera delivered.
// Usage: npm run measure:call [-- --engine werift|mediasoup|both --measure first-frame,cost,call --runs 5 --seconds 20]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { gitState } from '../bench/gitState.js';
import { median, processTree, sampleMachineCpu, sampleTreeCpu, sleep, treeRssKb, type TreeCpu } from '../bench/processes.js';
import { num, printTable } from '../bench/table.js';
import { openCall, remoteStats, waitForMedia } from '../tests/e2e/callPage.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServer, type ServerHandle } from '../tests/helpers/serverProcess.js';

const ENGINES = ['werift', 'mediasoup'] as const;
type Engine = (typeof ENGINES)[number];
const MEASURES = ['first-frame', 'cost', 'call'] as const;
type Measure = (typeof MEASURES)[number];

const { values: flags } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    measure: { type: 'string', default: MEASURES.join(',') },
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '20' },
  },
});
const engines: Engine[] = flags.engine === 'both' ? [...ENGINES] : [flags.engine as Engine];
const measures = new Set(flags.measure.split(',') as Measure[]);
const runs = Number(flags.runs);
const seconds = Number(flags.seconds);
if (engines.some((e) => !ENGINES.includes(e)) || [...measures].some((m) => !MEASURES.includes(m)) || !(runs >= 1) || !(seconds > 0)) {
  throw new Error(`--engine takes werift, mediasoup or both; --measure a list of ${MEASURES.join(', ')}; --runs and --seconds positive numbers`);
}

/** Chromium's fake camera at 30 fps; this later switch overrides the plain one in CHROMIUM_ARGS. */
const FAKE_CAMERA_30FPS = '--use-fake-device-for-media-stream=fps=30';
/** From every page decoding everyone's video to the start of the call's window: bandwidth estimation ramps. */
const CALL_WARMUP_MS = 20_000;
const CALL_WINDOW_S = 10;
const CALL_NAMES = ['Ann', 'Ben', 'Cat'];
/** Issue 11's targets for a call on mediasoup, on loopback. */
const CALL_TARGETS = { fps: 24, height: 480, jitterBufferMs: 150, freezes: 0, publisherEstimateKbps: 1000 } as const;
/** The client's simulcast rids, lowest layer first (client/call/publisher.ts). */
const RID_ORDER = ['q', 'h', 'f'];
const RESULTS_DIR = 'bench/results';
const RUN_STAMP = new Date().toISOString().replace(/[:.]/g, '-');

declare global {
  interface Window {
    /** Every RTCPeerConnection the page made, in order (installed by RECORD_PEER_CONNECTIONS). */
    __peerConnections: RTCPeerConnection[];
  }
}

/**
 * Runs before the page's own scripts: RTCPeerConnection becomes a subclass that records
 * each instance, so the measurement can read getStats of the page's connections. The
 * page's debug hook (window.__call) reads fewer figures (no targetBitrate, one simulcast
 * layer). A string, not a function: tsx's name-keeping helpers do not exist in the page.
 */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const all = [];
  Object.defineProperty(window, '__peerConnections', { value: all });
  window.RTCPeerConnection = class RTCPeerConnection extends Native {
    constructor(...args) { super(...args); all.push(this); }
  };
})();`;

/** `browser`, whose every new context records its pages' peer connections (for openCall, which makes its own context). */
function recordingPeerConnections(browser: Browser): Browser {
  return new Proxy(browser, {
    get(target, prop) {
      if (prop === 'newContext') {
        return async (...args: Parameters<Browser['newContext']>) => {
          const context = await target.newContext(...args);
          await context.addInitScript({ content: RECORD_PEER_CONNECTIONS });
          return context;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The CPU of a process tree as a plain record (% of one core), with each process. */
const cpuRecord = (cpu: TreeCpu): { percent: number; processes: Array<{ name: string; pid: number; percent: number }> } => ({
  percent: round(cpu.averagePercent, 1),
  processes: cpu.processes.map((p) => ({ name: p.name, pid: p.pid, percent: round(p.percent, 1) })),
});
const rssRecord = (pid: number): { mb: number; processes: Array<{ name: string; pid: number; mb: number }> } => {
  const rss = treeRssKb(pid);
  return { mb: round(rss.totalKb / 1024, 0), processes: rss.processes.map((p) => ({ name: p.name, pid: p.pid, mb: round(p.rssKb / 1024, 0) })) };
};
const round = (n: number, digits: number): number => Number(n.toFixed(digits));
const describeCpu = (c: ReturnType<typeof cpuRecord>): string =>
  `${c.percent.toFixed(1)}% of one core${c.processes.length > 1 ? ` (${c.processes.map((p) => `${p.name} ${p.percent.toFixed(1)}%`).join(', ')})` : ''}`;

async function firstFrame(browser: Browser, server: ServerHandle): Promise<{ ms: number[]; medianMs: number }> {
  const host = await openCall(browser, server.url, 'firstframe', 'Host');
  const hostId = await host.evaluate(() => window.__call.participantId());
  const ms: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${server.url}/?room=firstframe&name=Guest${i}`);
      for (;;) {
        const ready = await page.evaluate(() => (window.__call ? window.__call.stats() : Promise.resolve([]))).catch(() => []);
        if (ready.some((s) => s.participantId === hostId && s.framesDecoded > 0)) break;
        if (performance.now() - t0 > 15_000) throw new Error('no decoded frame within 15 s');
        await sleep(20);
      }
      ms.push(Math.round(performance.now() - t0));
      await context.close();
    }
  } finally {
    await host.context().close();
  }
  console.log(`deep link -> first decoded remote frame: ${ms.join(', ')} ms; median ${median(ms)} ms`);
  return { ms, medianMs: median(ms) };
}

async function serverCost(browser: Browser, server: ServerHandle): Promise<Record<string, unknown>> {
  const pid = server.process.pid!;
  const idleSampler = sampleTreeCpu(pid);
  await sleep(5000);
  const idleCpu = cpuRecord(idleSampler.stop());
  const idleRss = rssRecord(pid);
  const pages: Page[] = [];
  try {
    for (let i = 0; i < 4; i++) pages.push(await openCall(browser, server.url, 'four', `P${i}`));
    await sleep(10_000); // bandwidth estimation ramps up
    const busySampler = sampleTreeCpu(pid);
    await sleep(seconds * 1000);
    const busyCpu = cpuRecord(busySampler.stop());
    const busyRss = rssRecord(pid);
    const perPage = await Promise.all(pages.map((p) => remoteStats(p)));
    console.log(`server idle: ${describeCpu(idleCpu)}, ${idleRss.mb} MB RSS`);
    console.log(`server with 4 participants (4 published videos + audio, 12 forwarded of each): ${describeCpu(busyCpu)}, ${busyRss.mb} MB RSS`);
    return { idleCpu, idleRss, fourParticipantsCpu: busyCpu, fourParticipantsRss: busyRss, sampleSeconds: seconds, remoteStreamsPerPage: perPage.map((s) => s.length) };
  } finally {
    await Promise.all(pages.map((p) => p.context().close()));
  }
}

/** A getStats entry as the page hands it over. */
type Stat = Record<string, unknown> & { id: string; type: string; timestamp: number };
/** One reading of a page: each peer connection's stats (by its index in __peerConnections) and whose video is which SSRC. */
interface PageReading {
  connections: Array<Stat[] | null>;
  owners: Array<{ participantId: string; ssrc?: number }>;
}

function readPage(page: Page): Promise<PageReading> {
  return page.evaluate(async () => {
    const connections = await Promise.all(
      window.__peerConnections.map(async (pc) => (pc.connectionState === 'closed' ? null : ([...(await pc.getStats()).values()] as Stat[]))),
    );
    const owners = (window.__call.quality()?.remotes ?? []).map((r) => ({ participantId: r.participantId, ssrc: r.video?.ssrc }));
    return { connections, owners };
  });
}

const numberOf = (s: Stat | undefined, key: string): number | undefined => (typeof s?.[key] === 'number' ? (s[key] as number) : undefined);
const textOf = (s: Stat | undefined, key: string): string | undefined => (typeof s?.[key] === 'string' ? (s[key] as string) : undefined);
/** later[key] - earlier[key], undefined unless both have it. */
const deltaOf = (a: Stat | undefined, b: Stat | undefined, key: string): number | undefined => {
  const x = numberOf(a, key);
  const y = numberOf(b, key);
  return x === undefined || y === undefined ? undefined : y - x;
};
const secondsBetween = (a: Stat, b: Stat): number => (b.timestamp - a.timestamp) / 1000;

/** Each entry of `type` (and video), keyed by connection index and id, as a series over the readings. */
function seriesOf(readings: readonly PageReading[], type: string): Map<string, Array<Stat | undefined>> {
  const out = new Map<string, Array<Stat | undefined>>();
  readings.forEach((r, i) => {
    r.connections.forEach((entries, c) => {
      for (const s of entries ?? []) {
        if (s.type !== type || (s.kind ?? s.mediaType) !== 'video') continue;
        const key = `${c}/${s.id}`;
        if (!out.has(key)) out.set(key, new Array<Stat | undefined>(readings.length).fill(undefined));
        out.get(key)![i] = s;
      }
    });
  });
  return out;
}

/** Per-interval rates of a counter over a series (per second). */
function ratesOf(series: ReadonlyArray<Stat | undefined>, key: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < series.length; i++) {
    const [a, b] = [series[i - 1], series[i]];
    const d = deltaOf(a, b, key);
    if (a && b && d !== undefined && secondsBetween(a, b) > 0) out.push(d / secondsBetween(a, b));
  }
  return out;
}

const valuesOf = (series: ReadonlyArray<Stat | undefined>, key: string): number[] => series.map((s) => numberOf(s, key)).filter((v): v is number => v !== undefined);

interface ReceivedVideo {
  receiver: string;
  from: string;
  fps: number;
  height: number;
  /** Δ jitterBufferDelay / Δ jitterBufferEmittedCount over the window, ms. */
  jitterBufferMsPerFrame: number;
  freezes: number;
  freezeSeconds: number;
  packets: number;
  kbps: number;
  packetsLost: number;
  nacks: number;
  plis: number;
  framesDropped: number;
  /** The readings one by one: fps of each interval, frame height at each reading. */
  perSecond: { fps: number[]; height: number[] };
}

/** An inbound video stream present in only some of the window's readings. */
interface PartialStream {
  receiver: string;
  from: string;
  readings: number;
  of: number;
}

function receivedVideos(receiver: string, readings: readonly PageReading[], names: ReadonlyMap<string, string>, skipped: PartialStream[]): ReceivedVideo[] {
  const ownerOf = new Map<number, string>();
  for (const r of readings) for (const o of r.owners) if (o.ssrc !== undefined) ownerOf.set(o.ssrc, names.get(o.participantId) ?? o.participantId);
  const out: ReceivedVideo[] = [];
  for (const series of seriesOf(readings, 'inbound-rtp').values()) {
    const [first, last] = [series[0], series.at(-1)];
    // A stream that came or went during the window is not one a person watched throughout:
    // it is listed, with what was seen of it, but not measured.
    if (!first || !last) {
      const seen = series.filter((s) => s !== undefined);
      const ssrc = numberOf(seen[0], 'ssrc');
      skipped.push({ receiver, from: (ssrc !== undefined ? ownerOf.get(ssrc) : undefined) ?? `ssrc ${ssrc}`, readings: seen.length, of: series.length });
      continue;
    }
    const ssrc = numberOf(last, 'ssrc');
    const window = secondsBetween(first, last);
    const emitted = deltaOf(first, last, 'jitterBufferEmittedCount') ?? 0;
    out.push({
      receiver,
      from: (ssrc !== undefined ? ownerOf.get(ssrc) : undefined) ?? `ssrc ${ssrc}`,
      fps: median(ratesOf(series, 'framesDecoded')),
      height: median(valuesOf(series, 'frameHeight')),
      jitterBufferMsPerFrame: emitted > 0 ? ((deltaOf(first, last, 'jitterBufferDelay') ?? NaN) / emitted) * 1000 : NaN,
      freezes: deltaOf(first, last, 'freezeCount') ?? NaN,
      freezeSeconds: deltaOf(first, last, 'totalFreezesDuration') ?? NaN,
      packets: deltaOf(first, last, 'packetsReceived') ?? NaN,
      kbps: ((deltaOf(first, last, 'bytesReceived') ?? NaN) * 8) / 1000 / window,
      packetsLost: deltaOf(first, last, 'packetsLost') ?? NaN,
      nacks: deltaOf(first, last, 'nackCount') ?? NaN,
      plis: deltaOf(first, last, 'pliCount') ?? NaN,
      framesDropped: deltaOf(first, last, 'framesDropped') ?? NaN,
      perSecond: { fps: ratesOf(series, 'framesDecoded').map((v) => round(v, 1)), height: valuesOf(series, 'frameHeight') },
    });
  }
  return out;
}

interface PublishedVideo {
  publisher: string;
  /** All layers' bytes over the window, kbps. */
  kbps: number;
  /** The encoder's target, all layers together, median of the readings, kbps. */
  targetKbps: number;
  /** The publisher connection's selected candidate pair, median of the readings, kbps. */
  availableOutgoingKbps: number;
  /** The busiest layer's qualityLimitationReason at the window's end. */
  qualityLimitationReason: string;
  /** Share of the window the busiest layer spent in each limitation (from qualityLimitationDurations). */
  qualityLimitationShare: Record<string, number>;
  /** The camera's frames per second (media-source), median. */
  cameraFps: number;
  cameraHeight: number;
  /** Each simulcast layer (one without simulcast); scalabilityMode says how many temporal layers it has (L1T3: three). */
  layers: Array<{ rid: string; active: boolean; scalabilityMode: string; width: number; height: number; fps: number; kbps: number; targetKbps: number; limitation: string }>;
  /** The readings one by one, kbps: the target (all layers) and the available outgoing bitrate. */
  perSecond: { targetKbps: number[]; availableOutgoingKbps: number[] };
}

function publishedVideo(publisher: string, readings: readonly PageReading[]): PublishedVideo | undefined {
  const layers = [...seriesOf(readings, 'outbound-rtp').entries()].filter(([, s]) => s[0] && s.at(-1));
  if (layers.length === 0) return undefined;
  const publisherConnection = Number(layers[0]![0].split('/')[0]);
  const window = secondsBetween(layers[0]![1][0]!, layers[0]![1].at(-1)!);
  const layerFigures = layers.map(([, s]) => {
    const [first, last] = [s[0]!, s.at(-1)!];
    return {
      rid: textOf(last, 'rid') ?? '-',
      active: last.active !== false,
      scalabilityMode: textOf(last, 'scalabilityMode') ?? '-',
      width: numberOf(last, 'frameWidth') ?? NaN,
      height: numberOf(last, 'frameHeight') ?? NaN,
      fps: median(ratesOf(s, 'framesEncoded')),
      kbps: ((deltaOf(first, last, 'bytesSent') ?? NaN) * 8) / 1000 / window,
      targetKbps: median(valuesOf(s, 'targetBitrate')) / 1000,
      limitation: textOf(last, 'qualityLimitationReason') ?? '-',
      first,
      last,
    };
  });
  // Lowest layer first, as the client lists them (h, f from a 480p camera).
  layerFigures.sort((a, b) => RID_ORDER.indexOf(a.rid) - RID_ORDER.indexOf(b.rid));
  const busiest = layerFigures.reduce((a, b) => (b.kbps > a.kbps ? b : a));
  const durations = (s: Stat): Record<string, number> => (s.qualityLimitationDurations && typeof s.qualityLimitationDurations === 'object' ? (s.qualityLimitationDurations as Record<string, number>) : {});
  const share: Record<string, number> = {};
  for (const [reason, total] of Object.entries(durations(busiest.last))) share[reason] = round((total - (durations(busiest.first)[reason] ?? 0)) / window, 2);
  const targetSums = readings.map((_, i) => layers.reduce((sum, [, s]) => sum + (numberOf(s[i], 'targetBitrate') ?? 0), 0)).filter((v) => v > 0);
  const available = readings
    .map((r) => {
      const entries = r.connections[publisherConnection] ?? [];
      const transport = entries.find((e) => e.type === 'transport');
      const pair = entries.find((e) => e.id === transport?.selectedCandidatePairId) ?? entries.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
      return numberOf(pair, 'availableOutgoingBitrate');
    })
    .filter((v): v is number => v !== undefined);
  const camera = [...seriesOf(readings, 'media-source').values()][0] ?? [];
  return {
    publisher,
    kbps: layerFigures.reduce((sum, l) => sum + l.kbps, 0),
    targetKbps: median(targetSums) / 1000,
    availableOutgoingKbps: median(available) / 1000,
    qualityLimitationReason: busiest.limitation,
    qualityLimitationShare: share,
    cameraFps: median(ratesOf(camera, 'frames')),
    cameraHeight: median(valuesOf(camera, 'height')),
    layers: layerFigures.map(({ first: _f, last: _l, ...l }) => l),
    perSecond: { targetKbps: targetSums.map((v) => Math.round(v / 1000)), availableOutgoingKbps: available.map((v) => Math.round(v / 1000)) },
  };
}

interface CallQuality {
  received: ReceivedVideo[];
  /** Inbound video streams that came or went during the window. */
  partial: PartialStream[];
  published: PublishedVideo[];
  windowSeconds: number;
  /** From the last page joining to every page decoding everyone's video, ms. */
  decodingAfterMs: number;
  cpuInWindow: { server: ReturnType<typeof cpuRecord>; chromiumPercent: number; machinePercent: number };
  targets: typeof CALL_TARGETS;
  /** Each target against the worst stream or publisher. */
  verdict: Record<string, { worst: number; target: string; met: boolean }>;
}

async function callQuality(plainBrowser: Browser, server: ServerHandle): Promise<CallQuality> {
  const browser = recordingPeerConnections(plainBrowser);
  const pages: Page[] = [];
  try {
    for (const name of CALL_NAMES) pages.push(await openCall(browser, server.url, 'quality', name));
    const joinedAt = Date.now();
    const ids = await Promise.all(pages.map((p) => p.evaluate(() => window.__call.participantId()!)));
    const names = new Map(ids.map((id, i) => [id, CALL_NAMES[i]!]));
    await Promise.all(pages.map((p, i) => waitForMedia(p, ids.filter((_, j) => j !== i), { timeoutMs: 30_000, since: joinedAt })));
    const decodingAfterMs = Date.now() - joinedAt;
    console.log(`three-person call: everyone decodes everyone ${decodingAfterMs} ms after the last join; window of ${CALL_WINDOW_S} s starts in ${CALL_WARMUP_MS / 1000} s`);
    await sleep(CALL_WARMUP_MS);

    // The window: one reading of every page per second, and the CPU of the server, Chromium and the machine.
    const serverPids = new Set(processTree(server.process.pid!));
    const everything = sampleTreeCpu(process.pid);
    const serverCpu = sampleTreeCpu(server.process.pid!);
    const machine = sampleMachineCpu();
    const readings: PageReading[][] = [];
    const t0 = performance.now();
    for (let i = 0; i <= CALL_WINDOW_S; i++) {
      await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
      readings.push(await Promise.all(pages.map(readPage)));
    }
    const machinePercent = machine.stop().busyPercent;
    const serverInWindow = cpuRecord(serverCpu.stop());
    // This script's tree less the server and this process: Chromium's processes.
    const chromiumPercent = everything
      .stop()
      .processes.filter((p) => p.pid !== process.pid && !serverPids.has(p.pid))
      .reduce((sum, p) => sum + p.percent, 0);

    const byPage = (i: number): PageReading[] => readings.map((r) => r[i]!);
    const partial: PartialStream[] = [];
    const received = pages.flatMap((_, i) => receivedVideos(CALL_NAMES[i]!, byPage(i), names, partial));
    const flowing = received.filter((r) => r.packets > 0);
    const published = pages.map((_, i) => publishedVideo(CALL_NAMES[i]!, byPage(i))).filter((p): p is PublishedVideo => p !== undefined);
    const worstOf = (xs: number[], pick: 'min' | 'max'): number => (xs.length === 0 ? NaN : pick === 'min' ? Math.min(...xs) : Math.max(...xs));
    const estimate = (p: PublishedVideo): number => (Number.isFinite(p.availableOutgoingKbps) ? p.availableOutgoingKbps : p.targetKbps);
    const expectedStreams = CALL_NAMES.length * (CALL_NAMES.length - 1);
    const verdict = {
      streams: { worst: flowing.length, target: `= ${expectedStreams} with packets`, met: flowing.length === expectedStreams },
      fps: { worst: worstOf(received.map((r) => r.fps), 'min'), target: `>= ${CALL_TARGETS.fps}`, met: false },
      height: { worst: worstOf(received.map((r) => r.height), 'min'), target: `>= ${CALL_TARGETS.height}`, met: false },
      jitterBufferMs: { worst: worstOf(received.map((r) => r.jitterBufferMsPerFrame), 'max'), target: `<= ${CALL_TARGETS.jitterBufferMs}`, met: false },
      freezes: { worst: worstOf(received.map((r) => r.freezes), 'max'), target: `= ${CALL_TARGETS.freezes}`, met: false },
      publisherEstimateKbps: { worst: worstOf(published.map(estimate), 'min'), target: `> ${CALL_TARGETS.publisherEstimateKbps}`, met: false },
    };
    verdict.fps.met = verdict.fps.worst >= CALL_TARGETS.fps;
    verdict.height.met = verdict.height.worst >= CALL_TARGETS.height;
    verdict.jitterBufferMs.met = verdict.jitterBufferMs.worst <= CALL_TARGETS.jitterBufferMs;
    verdict.freezes.met = verdict.freezes.worst === CALL_TARGETS.freezes;
    verdict.publisherEstimateKbps.met = verdict.publisherEstimateKbps.worst > CALL_TARGETS.publisherEstimateKbps;
    return { received, partial, published, windowSeconds: CALL_WINDOW_S, decodingAfterMs, cpuInWindow: { server: serverInWindow, chromiumPercent: round(chromiumPercent, 1), machinePercent: round(machinePercent, 1) }, targets: CALL_TARGETS, verdict };
  } finally {
    await Promise.all(pages.map((p) => p.context().close()));
  }
}

/**
 * Which layer of its publisher each received stream is: the publisher's layer of the same
 * height, and the share of that layer's frame rate that arrives. About 1/4 of an L1T3
 * layer's rate is its temporal base layer alone, 1/2 the base and the middle one.
 */
function layerNotes(q: CallQuality): string[] {
  const out: string[] = [];
  for (const r of q.received) {
    const layer = q.published.find((p) => p.publisher === r.from)?.layers.find((l) => l.height === r.height);
    if (!layer || !(layer.fps > 0) || q.published.every((p) => p.layers.length < 2)) continue;
    out.push(`${r.receiver} <- ${r.from}: ${r.height}p is layer ${layer.rid} (${layer.scalabilityMode}, sent at ${num(layer.fps, 0)} fps); ${num(r.fps, 1)} fps arrive decoded, ${num(r.fps / layer.fps, 2)} of it`);
  }
  return out;
}

function printCall(engine: Engine, q: CallQuality): void {
  console.log(`\n[${engine}] received video, ${q.windowSeconds} s window ${CALL_WARMUP_MS / 1000} s after everyone decodes:`);
  printTable([
    ['receiver', 'from', 'fps (median)', 'height', 'jitter buffer, ms/frame', 'freezes', 'freeze s', 'packets', 'kbps', 'lost', 'NACKs', 'PLIs', 'dropped'],
    ...q.received.map((r) => [
      r.receiver,
      r.from,
      num(r.fps, 1),
      num(r.height, 0),
      num(r.jitterBufferMsPerFrame, 0),
      num(r.freezes, 0),
      num(r.freezeSeconds, 2),
      num(r.packets, 0),
      num(r.kbps, 0),
      num(r.packetsLost, 0),
      num(r.nacks, 0),
      num(r.plis, 0),
      num(r.framesDropped, 0),
    ]),
  ]);
  for (const p of q.partial) console.log(`[${engine}] ${p.receiver} from ${p.from}: a stream in only ${p.readings} of the window's ${p.of} readings (not measured)`);
  console.log(`\n[${engine}] publishers:`);
  printTable([
    ['publisher', 'video kbps', 'target kbps', 'available outgoing kbps', 'limitation (share of window)', 'camera', 'layers: rid mode height@fps kbps (target)'],
    ...q.published.map((p) => [
      p.publisher,
      num(p.kbps, 0),
      num(p.targetKbps, 0),
      num(p.availableOutgoingKbps, 0),
      `${p.qualityLimitationReason} (${Object.entries(p.qualityLimitationShare).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || '-'})`,
      `${num(p.cameraHeight, 0)}p@${num(p.cameraFps, 1)}`,
      p.layers.map((l) => `${l.rid}${l.active ? '' : '(off)'} ${l.scalabilityMode} ${num(l.height, 0)}@${num(l.fps, 0)} ${num(l.kbps, 0)} (${num(l.targetKbps, 0)})`).join('; '),
    ]),
  ]);
  for (const line of layerNotes(q)) console.log(`[${engine}] ${line}`);
  console.log(
    `[${engine}] CPU in the window: server ${describeCpu(q.cpuInWindow.server)}; Chromium ${q.cpuInWindow.chromiumPercent.toFixed(0)}%; machine ${q.cpuInWindow.machinePercent.toFixed(0)}% of ${os.cpus().length * 100}%`,
  );
  console.log(
    `[${engine}] against the targets (worst stream or publisher): ` +
      Object.entries(q.verdict)
        .map(([k, v]) => `${k} ${num(v.worst, k === 'fps' ? 1 : 0)} ${v.target} ${v.met ? 'ok' : 'MISSED'}`)
        .join('; '),
  );
}

async function measureEngine(engine: Engine): Promise<Record<string, unknown>> {
  console.log(`\n=== ${engine} ===`);
  const server = await startServer({ LOG_LEVEL: 'warn', MEDIA_ENGINE: engine });
  const browser = await launchChromium({ extraArgs: [FAKE_CAMERA_30FPS] });
  const out: Record<string, unknown> = { engine };
  try {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    if (health.mediaEngine !== engine) throw new Error(`asked for MEDIA_ENGINE=${engine}, /healthz says ${String(health.mediaEngine)}`);
    if (measures.has('first-frame')) out.firstFrame = await firstFrame(browser, server);
    if (measures.has('cost')) out.server = await serverCost(browser, server);
    if (measures.has('call')) {
      const call = await callQuality(browser, server);
      printCall(engine, call);
      out.call = call;
    }
    out.health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    const warnings = server.logs.filter((l) => /"level":"(warn|error)"/.test(l));
    if (warnings.length > 0) console.log(`[${engine}] the server logged ${warnings.length} warnings or errors; the last:\n${warnings.slice(-5).join('\n')}`);
    out.serverWarnings = warnings.slice(-20);
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    console.log(`[${engine}] failed: ${String(out.error)}\n[${engine}] server's last log lines:\n${server.logs.slice(-10).join('\n')}`);
  } finally {
    await browser.close();
    await server.stop();
  }
  return out;
}

const began = performance.now();
const loadAtStart = os.loadavg();
const results: Record<string, unknown>[] = [];
for (const engine of engines) results.push(await measureEngine(engine));
mkdirSync(RESULTS_DIR, { recursive: true });
const file = path.join(RESULTS_DIR, `call-${RUN_STAMP}.json`);
const out = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  git: gitState(),
  settings: { engines, measures: [...measures], runs, seconds, chromiumArgs: [FAKE_CAMERA_30FPS], CALL_WARMUP_MS, CALL_WINDOW_S, participants: CALL_NAMES.length },
  loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
  engines: Object.fromEntries(results.map((r) => [r.engine, r])),
  seconds: Math.round((performance.now() - began) / 1000),
};
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nload average ${loadAtStart[0]!.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end; wrote ${file}`);
if (results.some((r) => r.error)) process.exitCode = 1;
