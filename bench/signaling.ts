// Signaling benchmark: our server (the built dist/main.js) against a bare `ws` broadcast
// server (bench/bareServer.ts) in the same run, each as its own process on loopback, with
// the load generator as a third process. Prints figure | ours | baseline | ratio and
// writes bench/results/signaling-<time>.json.
//
// Servers: ours on each media engine asked for (--engines, default werift,mediasoup; the
// storm is signaling only, but on werift media shares the event loop), and the bare one.
// Per server:
//  1. join storm: CONNECTIONS clients join rooms of 16 at JOIN_RATE/s and stay; figures:
//     connections held, join latency (from each intended arrival), the server's event-loop
//     delay over the storm (p99, max), its CPU, and RSS per held idle connection (RSS while
//     holding them minus RSS before, over the count), read twice: 1.5 s after the storm, with
//     the storm's garbage not yet collected, and after a full GC asked for through the
//     server's inspector (both servers run with --inspect on loopback), which is what the
//     connections keep;
//  2. storm ladder: the same storm at each of LADDER_RATES joins/s, up the ladder until a
//     step has an error, holds fewer than all or has a join p99 above LADDER_P99_LIMIT_MS;
//     the highest clean rate is the figure (the storm's own rate counts as the first step);
//  3. fan-out ladder (first engine and bare only: the engine carries no fan-out): FANOUT_CLIENTS clients in rooms of 16, every client sending r
//     messages/s for FANOUT_SEND_SECONDS, r doubling until a step loses a message, has an error
//     or a fan-out p99 above FANOUT_P99_LIMIT_MS; capacity = deliveries/s of the last
//     step that passed. Server CPU is read from /proc for every step.
// The generator and the bare server run as esbuild bundles (dist/loadtest.js,
// dist/bareServer.js, built by `npm run build:loadtest`), not through tsx.
// Usage: npm run bench:signaling [-- --quick] [-- --profile] [-- --engines werift,mediasoup]
//   --quick    1000 connections at 200/s, no storm ladder, a shorter fan-out ladder (a smoke run)
//   --engines  our server's media engines to run, in order (mediasoup needs its worker)
//   --profile  run our server under `node --cpu-prof` and print its hottest functions
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadReport } from '../loadtest/report.js';
import { freePort } from '../tests/helpers/serverProcess.js';
import { cpuSeconds, median, openFileLimits, rssKb, sampleCpu, sleep, startChild, type Child } from './processes.js';
import { summarizeProfile } from './profile.js';
import { num, printTable, ratio, row } from './table.js';
import { collectGarbage } from './inspectorGc.js';
import { measureTokenVerify } from './tokenVerify.js';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, engines: { type: 'string', default: 'werift,mediasoup' } },
});
const ENGINES = flags.engines.split(',').map((e) => e.trim());
if (ENGINES.length === 0 || ENGINES.some((e) => e !== 'werift' && e !== 'mediasoup')) throw new Error('--engines takes werift, mediasoup or both (comma-separated)');
const CONNECTIONS = flags.quick ? 1000 : 10_000;
const JOIN_RATE = flags.quick ? 200 : 500;
/** Join rates above JOIN_RATE tried with the same storm; the ladder stops at the first failure. */
const LADDER_RATES = flags.quick ? [] : [1000, 2000];
const LADDER_P99_LIMIT_MS = 100;
const ROOM_SIZE = 16;
const FANOUT_CLIENTS = 800;
const FANOUT_STEPS = flags.quick ? [1, 4] : [1, 2, 4, 8, 16];
/** Ladder joins are slow on purpose (our server verifies about 500 tokens/s), so sending starts within a few seconds. */
const FANOUT_JOIN_RATE = 300;
const FANOUT_SEND_SECONDS = 3;
const FANOUT_P99_LIMIT_MS = 100;
/** Every process gets this many file descriptors: the connections plus room for the rest. */
const FD_LIMIT = CONNECTIONS + 2048;
// base64url may start with "-": the generator gets it as --jwt-secret=<secret>, never as its own argument.
const JWT_SECRET = randomBytes(33).toString('base64url');
const RESULTS_DIR = 'bench/results';
/** Profiles are large: they go to the git-ignored .tmp/, the summary into the results file. */
const PROFILE_DIR = '.tmp/profiles';
let loadAtStart: number[] = [];

interface Started {
  child: Child;
  url: string;
  /** The server's event-loop delay since the previous call (ms); the first call starts the window. */
  loopDelay(): Promise<LoopDelay>;
  /** A full GC in the server (through its inspector), before RSS is read as retained. */
  collectGarbage(): Promise<void>;
}

interface Target {
  name: string;
  start(): Promise<Started>;
  generatorArgs: string[];
  fanout: boolean;
}

interface LoopDelay {
  p99: number;
  max: number;
}

/**
 * Both servers sample their event loop with a 10 ms timer (prom-client's default for
 * nodejs_eventloop_lag_*, and bareServer.ts), and each sample includes that interval: an idle
 * loop reads about 10.1 ms. The delay is what lies beyond it.
 */
const LOOP_SAMPLING_MS = 10;
const beyondSampling = (d: LoopDelay): LoopDelay => ({ p99: Math.max(0, d.p99 - LOOP_SAMPLING_MS), max: Math.max(0, d.max - LOOP_SAMPLING_MS) });

interface StormStep {
  rate: number;
  held: number;
  errors: number;
  p50: number;
  p99: number;
  p999: number;
  loopDelay: LoopDelay;
  /** Our server's average CPU over the storm's arrivals (100 = one core). */
  serverCpuPercent: number;
  passed: boolean;
}

interface FanoutStep {
  perClientRate: number;
  sendsPerSecond: number;
  deliveriesPerSecond: number;
  expected: number;
  delivered: number;
  errors: number;
  p50: number;
  p99: number;
  /** The server's busiest second of the step (100 = one core). */
  serverCpuPercent: number;
  /** The generator's CPU while it was sending. */
  generatorCpuPercent: number;
  passed: boolean;
  /** 2 when the step failed once and was run again; the second run is the one kept. */
  attempts: number;
}

interface TargetResult {
  joinStorm: LoadReport;
  storm: StormStep;
  ladder: StormStep[];
  /** The highest join rate whose storm passed (0 when none did). */
  highestCleanRate: number;
  rssBeforeKb: number;
  rssHeldKb: number;
  heldWhenMeasured: number;
  kbPerConnection: number;
  /** The same after a full GC in the server, before and while holding: what the connections keep. */
  rssBeforeAfterGcKb: number;
  rssHeldAfterGcKb: number;
  kbPerConnectionAfterGc: number;
  serverCpuWhileHeldPercent: number;
  fanout: FanoutStep[];
  capacity: FanoutStep | undefined;
}

function checkFileLimit(): void {
  const { soft, hard } = openFileLimits();
  if (hard < FD_LIMIT) {
    throw new Error(
      `the open-file limit is too low for ${CONNECTIONS} connections: the hard limit is ${hard}, each process needs ${FD_LIMIT}. ` +
        `Raise it (e.g. \`ulimit -Hn ${FD_LIMIT}\` as root, or LimitNOFILE in systemd) and run again.`,
    );
  }
  if (soft < FD_LIMIT) {
    console.log(`open-file limit: soft ${soft} is below the ${FD_LIMIT} each process needs; the bench raises it to ${FD_LIMIT} for its child processes (hard limit ${hard}).`);
  } else {
    console.log(`open-file limit: ${soft} (each process needs ${FD_LIMIT}); fine.`);
  }
}

async function startOurs(engine: string): Promise<Started> {
  const port = await freePort();
  const inspectPort = await freePort();
  const nodeArgs = [`--inspect=127.0.0.1:${inspectPort}`, ...(flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  const child = startChild(process.execPath, [...nodeArgs, 'dist/main.js'], {
    fdLimit: FD_LIMIT,
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      RTC_LISTEN_IP: '127.0.0.1',
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      MAX_PARTICIPANTS_PER_ROOM: String(ROOM_SIZE),
      // Every generated client comes from 127.0.0.1: lift the per-address admission limits.
      WS_MAX_SOCKETS: String(CONNECTIONS + 1000),
      WS_MAX_SOCKETS_PER_IP: String(CONNECTIONS + 1000),
      WS_NEW_SOCKETS_PER_IP_PER_SECOND: '100000',
      WS_NEW_SOCKETS_PER_IP_BURST: '100000',
      // Each joined participant reserves a media connection to publish and one to receive;
      // the storm only signals, so the node's default budget (1000) must not be the limit.
      MAX_MEDIA_CONNECTIONS: String(2 * CONNECTIONS + 1000),
      MEDIA_ENGINE: engine,
    },
  });
  await child.waitFor(/Call server ready/);
  // prom-client's nodejs_eventloop_lag_* cover the time since the previous scrape.
  const loopDelay = async (): Promise<LoopDelay> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const seconds = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { p99: seconds('nodejs_eventloop_lag_p99_seconds') * 1000, max: seconds('nodejs_eventloop_lag_max_seconds') * 1000 };
  };
  return { child, url: `ws://127.0.0.1:${port}/ws`, loopDelay, collectGarbage: () => collectGarbage(inspectPort) };
}

async function startBare(): Promise<Started> {
  const inspectPort = await freePort();
  const child = startChild(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, 'dist/bareServer.js', '--port', '0'], { fdLimit: FD_LIMIT });
  const [, port] = await child.waitFor(/bare server ready (\d+)/);
  const loopDelay = async (): Promise<LoopDelay> => (await (await fetch(`http://127.0.0.1:${port}/loop`)).json()) as LoopDelay;
  return { child, url: `ws://127.0.0.1:${port}/ws`, loopDelay, collectGarbage: () => collectGarbage(inspectPort) };
}

/** Runs the generator as its own process; `onLine` sees its progress lines. */
function generator(url: string, args: string[]): Child {
  return startChild(process.execPath, ['dist/loadtest.js', '--url', url, '--json', ...args], { fdLimit: FD_LIMIT });
}

async function reportOf(gen: Child): Promise<LoadReport> {
  const code = await gen.exited;
  const text = gen.stdout.join('\n');
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`generator exited with ${code} and no report:\n${gen.lines.slice(-20).join('\n')}`);
  return JSON.parse(text.slice(start)) as LoadReport;
}

async function sampleRss(pid: number, samples: number, everyMs: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssKb(pid));
    if (i < samples - 1) await sleep(everyMs);
  }
  return median(values);
}

async function fanoutStep(target: Target, url: string, pid: number, rate: number): Promise<FanoutStep> {
  const cpu = sampleCpu(pid);
  const report = await reportOf(
    generator(url, [
      ...target.generatorArgs,
      '--scenario', 'fanout',
      '--clients', String(FANOUT_CLIENTS),
      '--rooms', String(FANOUT_CLIENTS / ROOM_SIZE),
      '--rate', String(FANOUT_JOIN_RATE),
      '--message-rate', String(rate),
      '--duration', String(Math.ceil(FANOUT_CLIENTS / FANOUT_JOIN_RATE + 1 + FANOUT_SEND_SECONDS)),
      '--quiet',
    ]),
  );
  const { peakPercent: serverCpuPercent } = cpu.stop();
  const f = report.fanout;
  const step: FanoutStep = {
    perClientRate: rate,
    sendsPerSecond: f.sendsPerSecond,
    deliveriesPerSecond: f.deliveriesPerSecond,
    expected: f.expectedDeliveries,
    delivered: f.delivered,
    errors: report.errors.total,
    p50: report.latencyMs.fanout.p50,
    p99: report.latencyMs.fanout.p99,
    serverCpuPercent: Math.round(serverCpuPercent),
    generatorCpuPercent: report.fanout.generatorCpuPercent ?? NaN,
    passed: f.missing === 0 && f.mismatched === 0 && report.errors.total === 0 && f.delivered > 0 && report.latencyMs.fanout.p99 <= FANOUT_P99_LIMIT_MS,
    attempts: 1,
  };
  console.log(
    `[${target.name}] fan-out ${rate}/s per client: ${step.deliveriesPerSecond} deliveries/s, p99 ${step.p99} ms, ${step.delivered}/${step.expected} delivered, errors ${step.errors}, server CPU ${step.serverCpuPercent}%, generator CPU ${step.generatorCpuPercent}% -> ${step.passed ? 'pass' : 'FAIL'}`,
  );
  return step;
}

/** One join storm of CONNECTIONS clients at `rate`/s that then hold; returns the generator's report and the step's figures. */
async function stormStep(target: Target, server: Started, rate: number, measureHeld?: (storm: Child) => Promise<void>): Promise<{ report: LoadReport; step: StormStep }> {
  const pid = server.child.pid;
  const ramp = CONNECTIONS / rate;
  const rooms = Math.ceil(CONNECTIONS / ROOM_SIZE);
  console.log(`[${target.name}] join storm: ${CONNECTIONS} clients, ${rooms} rooms, ${rate} joins/s (${ramp} s)`);
  await server.loopDelay(); // starts the window
  const cpu = sampleCpu(pid);
  const storm = generator(server.url, [...target.generatorArgs, '--scenario', 'join-storm', '--clients', String(CONNECTIONS), '--rooms', String(rooms), '--rate', String(rate), '--duration', String(ramp + 7)]);
  const allIn = new RegExp(`joined=${CONNECTIONS}/${CONNECTIONS} held=${CONNECTIONS}`);
  await Promise.race([storm.waitFor(allIn, (ramp + 5) * 1000).catch(() => undefined), sleep((ramp + 5) * 1000)]);
  const loopDelay = beyondSampling(await server.loopDelay());
  const { averagePercent } = cpu.stop();
  if (measureHeld) await measureHeld(storm);
  const report = await reportOf(storm);
  const join = report.latencyMs.join;
  const step: StormStep = {
    rate,
    held: report.clients.heldPeak,
    errors: report.errors.total,
    p50: join.p50,
    p99: join.p99,
    p999: join.p999,
    loopDelay,
    serverCpuPercent: Math.round(averagePercent),
    passed: report.errors.total === 0 && report.clients.heldPeak === CONNECTIONS && join.p99 <= LADDER_P99_LIMIT_MS,
  };
  console.log(
    `[${target.name}] ${rate}/s: held ${step.held}, join p50 ${step.p50} p99 ${step.p99} p99.9 ${step.p999} ms, event-loop delay p99 ${loopDelay.p99.toFixed(1)} max ${loopDelay.max.toFixed(1)} ms, ` +
      `server CPU ${step.serverCpuPercent}%, errors ${step.errors} -> ${step.passed ? 'pass' : 'FAIL'}`,
  );
  await sleep(2000); // let the server notice the closes
  return { report, step };
}

async function benchTarget(target: Target): Promise<TargetResult> {
  const server = await target.start();
  const { child, url } = server;
  const pid = child.pid;
  try {
    // Warm-up: a small storm so code paths are compiled and the heap has its working shape.
    await reportOf(generator(url, [...target.generatorArgs, '--scenario', 'join-storm', '--clients', '320', '--rooms', '20', '--rate', '1000', '--duration', '1.5', '--quiet']));
    await sleep(1500);
    const rssBeforeKb = await sampleRss(pid, 5, 200);
    await server.collectGarbage();
    const rssBeforeAfterGcKb = await sampleRss(pid, 3, 100);

    // 1. Join storm, then hold everyone idle and measure memory.
    let rssHeldKb = NaN;
    let rssHeldAfterGcKb = NaN;
    let heldWhenMeasured = 0;
    let serverCpuWhileHeldPercent = NaN;
    const { report: joinStorm, step: storm } = await stormStep(target, server, JOIN_RATE, async (gen) => {
      await sleep(1500);
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      rssHeldKb = await sampleRss(pid, 5, 400);
      serverCpuWhileHeldPercent = ((cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
      const heldLine = [...gen.lines].reverse().find((l) => / held=\d+/.test(l));
      heldWhenMeasured = Number(/ held=(\d+)/.exec(heldLine ?? '')?.[1] ?? 0);
      await server.collectGarbage();
      rssHeldAfterGcKb = await sampleRss(pid, 3, 100);
    });
    const perHeld = (kb: number): number => (heldWhenMeasured > 0 ? kb / heldWhenMeasured : NaN);
    const kbPerConnection = perHeld(rssHeldKb - rssBeforeKb);
    const kbPerConnectionAfterGc = perHeld(rssHeldAfterGcKb - rssBeforeAfterGcKb);
    console.log(`[${target.name}] ${kbPerConnection.toFixed(1)} KB RSS per held connection (${kbPerConnectionAfterGc.toFixed(1)} KB after a full GC)`);

    // 2. Storm ladder.
    const ladder: StormStep[] = [];
    if (storm.passed) {
      for (const rate of LADDER_RATES) {
        const { step } = await stormStep(target, server, rate);
        ladder.push(step);
        if (!step.passed) break;
      }
    }
    const highestCleanRate = [storm, ...ladder].filter((s) => s.passed).reduce((best, s) => Math.max(best, s.rate), 0);

    // 3. Fan-out ladder.
    const fanout: FanoutStep[] = [];
    for (const rate of target.fanout ? FANOUT_STEPS : []) {
      let step = await fanoutStep(target, url, pid, rate);
      if (!step.passed) {
        // One retry: on a shared machine a burst of someone else's work can fail a step.
        console.log(`[${target.name}] retrying ${rate}/s per client once`);
        const again = await fanoutStep(target, url, pid, rate);
        step = { ...again, attempts: 2 };
      }
      fanout.push(step);
      if (!step.passed) break;
      await sleep(500);
    }
    const capacity = [...fanout].reverse().find((s) => s.passed);
    return { joinStorm, storm, ladder, highestCleanRate, rssBeforeKb, rssHeldKb, heldWhenMeasured, kbPerConnection, rssBeforeAfterGcKb, rssHeldAfterGcKb, kbPerConnectionAfterGc, serverCpuWhileHeldPercent, fanout, capacity };
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  checkFileLimit();
  loadAtStart = os.loadavg();
  if (loadAtStart[0]! > 0.5 * os.cpus().length) {
    console.log(`warning: this machine is busy (load average ${loadAtStart[0]!.toFixed(1)} on ${os.cpus().length} cores); the figures will be noisy.`);
  }
  if (flags.profile) console.log('note: our server runs under the CPU profiler; its figures are slower than without --profile.');
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (flags.profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const tokenVerify = measureTokenVerify();
  console.log(`token verification: ${tokenVerify.oursUs.toFixed(0)} us per join (TokenIssuer.verify), ${tokenVerify.keyObjectUs.toFixed(0)} us with the secret as a KeyObject`);
  const oursTargets: Target[] = ENGINES.map((engine, i) => ({ name: `ours-${engine}`, start: () => startOurs(engine), generatorArgs: [`--jwt-secret=${JWT_SECRET}`], fanout: i === 0 }));
  const bareTarget: Target = { name: 'bare', start: startBare, generatorArgs: ['--bare'], fanout: true };
  const results = new Map<string, TargetResult>();
  for (const t of [...oursTargets, bareTarget]) results.set(t.name, await benchTarget(t));
  const bare = results.get('bare')!;
  const oursAll = oursTargets.map((t) => results.get(t.name)!);
  const ours = oursAll[0]!;

  // The join storm and its ladder on every engine, against the bare baseline (ratio: first engine / bare).
  const stormRows = [
    ['figure', ...oursTargets.map((t) => t.name), 'bare', 'ratio', 'target'],
    ...(
      [
        [`connections held (join storm of ${CONNECTIONS})`, (r) => r.storm.held, 0, `${CONNECTIONS}`],
        [`join p50 at ${JOIN_RATE}/s, ms`, (r) => r.storm.p50, 2, ''],
        [`join p99 at ${JOIN_RATE}/s, ms`, (r) => r.storm.p99, 2, '< 50'],
        [`join p99.9 at ${JOIN_RATE}/s, ms`, (r) => r.storm.p999, 2, ''],
        [`event-loop delay p99 during the storm (beyond the 10 ms sampling), ms`, (r) => r.storm.loopDelay.p99, 1, '< 20'],
        [`event-loop delay max during the storm (beyond the 10 ms sampling), ms`, (r) => r.storm.loopDelay.max, 1, ''],
        ['join storm errors', (r) => r.storm.errors, 0, '0'],
        [`server CPU during the storm, % of a core`, (r) => r.storm.serverCpuPercent, 0, ''],
        ['server RSS per idle connection above idle, 1.5 s after the storm, KB', (r) => r.kbPerConnection, 1, ''],
        ['server RSS per idle connection above idle, after a full GC (retained), KB', (r) => r.kbPerConnectionAfterGc, 1, '< 15'],
        [`server RSS holding ${CONNECTIONS}, MB`, (r) => r.rssHeldKb / 1024, 0, ''],
        ['server CPU while holding them idle, %', (r) => r.serverCpuWhileHeldPercent, 1, ''],
        [`highest clean join rate (${[JOIN_RATE, ...LADDER_RATES].join(', ')}/s tried), /s`, (r) => r.highestCleanRate, 0, 'ratio >= 0.5'],
      ] as Array<[string, (r: TargetResult) => number, number, string]>
    ).map(([figure, get, digits, target]) => [figure, ...oursAll.map((r) => num(get(r), digits)), num(get(bare), digits), ratio(get(ours), get(bare)), target]),
  ];
  console.log('');
  printTable(stormRows);

  // The highest ladder step both passed: the same offered load, compared for server CPU.
  const common = [...ours.fanout].reverse().find((s) => s.passed && bare.fanout.find((b) => b.perClientRate === s.perClientRate)?.passed);
  const commonBare = common && bare.fanout.find((b) => b.perClientRate === common.perClientRate);
  const perCpuSecond = (s: FanoutStep | undefined): number => (s && s.serverCpuPercent > 0 ? s.deliveriesPerSecond / (s.serverCpuPercent / 100) : NaN);

  const rows = [
    ['figure', oursTargets[0]!.name, 'baseline', 'ratio', 'target'],
    row('fan-out capacity, deliveries/s', ours.capacity?.deliveriesPerSecond ?? 0, bare.capacity?.deliveriesPerSecond ?? 0, 0, 'ratio >= 0.5'),
    row('fan-out capacity, sends/s', ours.capacity?.sendsPerSecond ?? 0, bare.capacity?.sendsPerSecond ?? 0, 0, ''),
    row(`fan-out p99 at ${common?.perClientRate ?? '-'}/s per client, ms`, common?.p99 ?? NaN, commonBare?.p99 ?? NaN, 2, ''),
    row(`server CPU at ${common?.perClientRate ?? '-'}/s per client, %`, common?.serverCpuPercent ?? NaN, commonBare?.serverCpuPercent ?? NaN, 0, ''),
    row('deliveries per server CPU-second', perCpuSecond(common), perCpuSecond(commonBare), 0, ''),
    row('token verify per join, us (baseline: KeyObject)', tokenVerify.oursUs, tokenVerify.keyObjectUs, 0, ''),
  ];
  console.log('');
  printTable(rows);

  const profile = flags.profile ? profileSummary() : undefined;
  const file = path.join(RESULTS_DIR, `signaling-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    settings: { CONNECTIONS, JOIN_RATE, LADDER_RATES, LADDER_P99_LIMIT_MS, ENGINES, ROOM_SIZE, FANOUT_CLIENTS, FANOUT_STEPS, FANOUT_JOIN_RATE, FANOUT_SEND_SECONDS, FANOUT_P99_LIMIT_MS, quick: flags.quick, profile: flags.profile },
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    stormTable: stormRows,
    table: rows,
    tokenVerify,
    results: Object.fromEntries(results),
    profile,
    benchSeconds: Math.round((performance.now() - began) / 1000),
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${file} (${out.benchSeconds} s)`);
}

function profileSummary(): ReturnType<typeof summarizeProfile> | undefined {
  const files = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).sort();
  const latest = files.at(-1);
  if (!latest) return undefined;
  const summary = summarizeProfile(path.join(PROFILE_DIR, latest), 20);
  console.log(`\nour server's CPU profile (${path.join(PROFILE_DIR, latest)}), self time:`);
  for (const f of summary.functions) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  return summary;
}

main().catch((err: unknown) => {
  console.error(`bench:signaling: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
