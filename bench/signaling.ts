// Signaling benchmark: our server (the built dist/main.js) against a bare `ws` broadcast
// server (bench/bareServer.ts) in the same run, each as its own process on loopback, with
// the load generator as a third process. Prints figure | ours | baseline | ratio and
// writes bench/results/signaling-<time>.json.
//
// Per server:
//  1. join storm: CONNECTIONS clients join rooms of 16 at JOIN_RATE/s and stay; figures:
//     connections held, join latency (from each intended arrival), and server RSS per
//     held idle connection (RSS while holding them minus RSS before, over the count);
//  2. fan-out ladder: FANOUT_CLIENTS clients in rooms of 16, every client sending r
//     messages/s for FANOUT_SEND_SECONDS, r doubling until a step loses a message, has an error
//     or a fan-out p99 above FANOUT_P99_LIMIT_MS; capacity = deliveries/s of the last
//     step that passed. Server CPU is read from /proc for every step.
// The generator and the bare server run as esbuild bundles (dist/loadtest.js,
// dist/bareServer.js, built by `npm run build:loadtest`), not through tsx.
// Usage: npm run bench:signaling [-- --quick] [-- --profile]
//   --quick    1000 connections and a shorter ladder (a smoke run, about 1 minute)
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
import { printTable, row } from './table.js';
import { measureTokenVerify } from './tokenVerify.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
const CONNECTIONS = flags.quick ? 1000 : 5000;
const JOIN_RATE = 200;
const ROOM_SIZE = 16;
const FANOUT_CLIENTS = 800;
const FANOUT_STEPS = flags.quick ? [1, 4] : [1, 2, 4, 8, 16];
/** Ladder joins are slow on purpose (our server verifies about 500 tokens/s), so sending starts within a few seconds. */
const FANOUT_JOIN_RATE = 300;
const FANOUT_SEND_SECONDS = 3;
const FANOUT_P99_LIMIT_MS = 100;
/** Every process gets this many file descriptors: the connections plus room for the rest. */
const FD_LIMIT = CONNECTIONS + 2048;
const JWT_SECRET = randomBytes(33).toString('base64url');
const RESULTS_DIR = 'bench/results';
/** Profiles are large: they go to the git-ignored .tmp/, the summary into the results file. */
const PROFILE_DIR = '.tmp/profiles';
let loadAtStart: number[] = [];

interface Target {
  name: 'ours' | 'bare';
  start(): Promise<{ child: Child; url: string }>;
  generatorArgs: string[];
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
  rssBeforeKb: number;
  rssHeldKb: number;
  heldWhenMeasured: number;
  kbPerConnection: number;
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

async function startOurs(): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
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
    },
  });
  await child.waitFor(/Call server ready/);
  return { child, url: `ws://127.0.0.1:${port}/ws` };
}

async function startBare(): Promise<{ child: Child; url: string }> {
  const child = startChild(process.execPath, ['dist/bareServer.js', '--port', '0'], { fdLimit: FD_LIMIT });
  const [, port] = await child.waitFor(/bare server ready (\d+)/);
  return { child, url: `ws://127.0.0.1:${port}/ws` };
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

async function benchTarget(target: Target): Promise<TargetResult> {
  const { child: server, url } = await target.start();
  const pid = server.pid;
  try {
    // Warm-up: a small storm so code paths are compiled and the heap has its working shape.
    await reportOf(generator(url, [...target.generatorArgs, '--scenario', 'join-storm', '--clients', '320', '--rooms', '20', '--rate', '1000', '--duration', '1.5', '--quiet']));
    await sleep(1500);
    const rssBeforeKb = await sampleRss(pid, 5, 200);

    // 1. Join storm, then hold everyone idle and measure memory.
    const ramp = CONNECTIONS / JOIN_RATE;
    const rooms = Math.ceil(CONNECTIONS / ROOM_SIZE);
    console.log(`[${target.name}] join storm: ${CONNECTIONS} clients, ${rooms} rooms, ${JOIN_RATE} joins/s (${ramp} s)`);
    const storm = generator(url, [...target.generatorArgs, '--scenario', 'join-storm', '--clients', String(CONNECTIONS), '--rooms', String(rooms), '--rate', String(JOIN_RATE), '--duration', String(ramp + 7)]);
    const allIn = new RegExp(`joined=${CONNECTIONS}/${CONNECTIONS} held=${CONNECTIONS}`);
    await Promise.race([storm.waitFor(allIn, (ramp + 5) * 1000).catch(() => undefined), sleep((ramp + 5) * 1000)]);
    await sleep(1500);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const rssHeldKb = await sampleRss(pid, 5, 400);
    const serverCpuWhileHeldPercent = ((cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    const heldLine = [...storm.lines].reverse().find((l) => / held=\d+/.test(l));
    const heldWhenMeasured = Number(/ held=(\d+)/.exec(heldLine ?? '')?.[1] ?? 0);
    const joinStorm = await reportOf(storm);
    const kbPerConnection = heldWhenMeasured > 0 ? (rssHeldKb - rssBeforeKb) / heldWhenMeasured : NaN;
    console.log(
      `[${target.name}] held ${joinStorm.clients.heldPeak}, join p99 ${joinStorm.latencyMs.join.p99} ms, ${kbPerConnection.toFixed(1)} KB RSS per connection, errors ${joinStorm.errors.total}`,
    );
    await sleep(1500); // let the server notice the closes

    // 2. Fan-out ladder.
    const fanout: FanoutStep[] = [];
    for (const rate of FANOUT_STEPS) {
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
    return { joinStorm, rssBeforeKb, rssHeldKb, heldWhenMeasured, kbPerConnection, serverCpuWhileHeldPercent, fanout, capacity };
  } finally {
    await server.stop();
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
  const targets: Target[] = [
    { name: 'ours', start: startOurs, generatorArgs: ['--jwt-secret', JWT_SECRET] },
    { name: 'bare', start: startBare, generatorArgs: ['--bare'] },
  ];
  const results: Partial<Record<Target['name'], TargetResult>> = {};
  for (const t of targets) results[t.name] = await benchTarget(t);
  const ours = results.ours!;
  const bare = results.bare!;

  // The highest ladder step both passed: the same offered load, compared for server CPU.
  const common = [...ours.fanout].reverse().find((s) => s.passed && bare.fanout.find((b) => b.perClientRate === s.perClientRate)?.passed);
  const commonBare = common && bare.fanout.find((b) => b.perClientRate === common.perClientRate);
  const perCpuSecond = (s: FanoutStep | undefined): number => (s && s.serverCpuPercent > 0 ? s.deliveriesPerSecond / (s.serverCpuPercent / 100) : NaN);

  const rows = [
    ['figure', 'ours', 'baseline', 'ratio', 'target'],
    row(`connections held (join storm of ${CONNECTIONS})`, ours.joinStorm.clients.heldPeak, bare.joinStorm.clients.heldPeak, 0, `${CONNECTIONS}`),
    row(`join p50 at ${JOIN_RATE}/s, ms`, ours.joinStorm.latencyMs.join.p50, bare.joinStorm.latencyMs.join.p50, 2, ''),
    row(`join p99 at ${JOIN_RATE}/s, ms`, ours.joinStorm.latencyMs.join.p99, bare.joinStorm.latencyMs.join.p99, 2, '< 50'),
    row(`join p99.9 at ${JOIN_RATE}/s, ms`, ours.joinStorm.latencyMs.join.p999, bare.joinStorm.latencyMs.join.p999, 2, ''),
    row('join storm errors', ours.joinStorm.errors.total, bare.joinStorm.errors.total, 0, '0'),
    row('server RSS per idle connection, KB', ours.kbPerConnection, bare.kbPerConnection, 1, '< 30'),
    row(`server RSS holding ${CONNECTIONS}, MB`, ours.rssHeldKb / 1024, bare.rssHeldKb / 1024, 0, ''),
    row('server CPU while holding them idle, %', ours.serverCpuWhileHeldPercent, bare.serverCpuWhileHeldPercent, 1, ''),
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
    settings: { CONNECTIONS, JOIN_RATE, ROOM_SIZE, FANOUT_CLIENTS, FANOUT_STEPS, FANOUT_JOIN_RATE, FANOUT_SEND_SECONDS, FANOUT_P99_LIMIT_MS, quick: flags.quick, profile: flags.profile },
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    table: rows,
    tokenVerify,
    ours,
    bare,
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
