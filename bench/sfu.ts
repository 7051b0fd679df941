// Media forwarding benchmark: our SFU (the built dist/main.js) against a bare UDP relay
// (bench/udpRelay.ts) in the same run, on loopback. One publisher sends synthetic VP8 RTP
// at a fixed packet rate; the number of subscribers steps up (1, 2, 4, 8, 16 by default).
// Each step records packets/s sent and received (= forwarded), loss, and the CPU of the
// server and of the bots. The headline is taken at the highest step under 1% loss:
// forwarded packets/s per core (target: 20,000 with SRTP) and subscriber streams per core.
//
// Processes: the server, the werift bots (bench/sfuBots.ts: publisher and subscribers),
// then the relay and its plain UDP bots (bench/udpBots.ts). The bots cost CPU too, and on
// a 2-core machine they compete with the server: their CPU is reported so a reader can see
// whether the machine, not the server, was the limit.
// Usage: npm run bench:sfu [-- --duration-per-step 5 --rate 300 --subscribers 1,2,4,8,16 --profile]
//   --profile  run our server under `node --cpu-prof` and summarize the samples taken in the
//              window of the last step (top functions by self time, time by werift layer,
//              our code, node:dgram, GC, idle); the sampling costs the server a little CPU,
//              so a profiled run's figures are not the headline.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../tests/helpers/serverProcess.js';
import { forkTs, type IpcChild } from './ipcChild.js';
import { sampleCpu, sleep } from './processes.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import type { BotCounts, BotRequest } from './sfuBots.js';
import { printTable, row } from './table.js';
import type { UdpBotRequest } from './udpBots.js';
import type { RelayRequest } from './udpRelay.js';

const { values: flags } = parseArgs({
  options: {
    'duration-per-step': { type: 'string', default: '5' },
    rate: { type: 'string', default: '300' },
    subscribers: { type: 'string', default: '1,2,4,8,16' },
    'payload-bytes': { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
  },
});
const STEP_SECONDS = Number(flags['duration-per-step']);
/** Publisher packets/s: 300 is about a 720p camera at 2.4 Mbit/s. */
const PACKETS_PER_SECOND = Number(flags.rate);
const SUBSCRIBER_STEPS = flags.subscribers.split(',').map(Number);
const PAYLOAD_BYTES = Number(flags['payload-bytes']);
/** The baseline's datagrams: the RTP payload plus an RTP header and an SRTP tag, about what the SFU's packets weigh. */
const BASELINE_PACKET_BYTES = PAYLOAD_BYTES + 12 + 16;
/** Time after subscribers joined before a window starts: renegotiation and the first RTCP are not forwarding. */
const SETTLE_MS = 1000;
const LOSS_LIMIT = 0.01;
const TARGET_PPS_PER_CORE = 20_000;
const ROOM = 'bench-sfu';
const RESULTS_DIR = 'bench/results';
const RUN_STAMP = new Date().toISOString().replace(/[:.]/g, '-');
/** Where the server writes its .cpuprofile with --profile (one folder per run, so the file is this run's). */
const PROFILE_DIR = path.join('.tmp/profiles', `sfu-${RUN_STAMP}`);
/** The whole run is bounded even if a child hangs. */
const WATCHDOG_MS = (30 + SUBSCRIBER_STEPS.length * 2 * (STEP_SECONDS + 12)) * 1000;

if (![STEP_SECONDS, PACKETS_PER_SECOND, PAYLOAD_BYTES].every((n) => Number.isFinite(n) && n > 0) || SUBSCRIBER_STEPS.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error('--duration-per-step, --rate and --payload-bytes take positive numbers, --subscribers a list like 1,2,4');
}

interface Step {
  subscribers: number;
  seconds: number;
  sentPerSecond: number;
  forwardedPerSecond: number;
  lossPercent: number;
  serverCpuPercent: number;
  botsCpuPercent: number;
  /** The measuring window on the monotonic clock (process.hrtime, microseconds), to cut a CPU profile to it. */
  windowUs: { startUs: number; endUs: number };
}

/** Why our ladder stopped early, if it did. */
let setupFailure: string | undefined;

/** The processes a system under test is made of; all are stopped on exit or Ctrl-C. */
const running = new Set<{ stop(): Promise<unknown> }>();

async function measureStep(subscribers: number, counts: () => Promise<BotCounts>, serverPid: number, botsPid: number): Promise<Step> {
  await sleep(SETTLE_MS);
  const c0 = await counts();
  const t0 = performance.now();
  const startUs = monotonicUs();
  const serverCpu = sampleCpu(serverPid);
  const botsCpu = sampleCpu(botsPid);
  await sleep(STEP_SECONDS * 1000);
  const c1 = await counts();
  const endUs = monotonicUs();
  const seconds = (performance.now() - t0) / 1000;
  const sent = c1.sent - c0.sent;
  let received = 0;
  for (let i = 0; i < subscribers; i++) received += (c1.received[i] ?? 0) - (c0.received[i] ?? 0);
  const expected = sent * subscribers;
  return {
    subscribers,
    seconds,
    sentPerSecond: sent / seconds,
    forwardedPerSecond: received / seconds,
    // Packets in flight at the window's edges can make this a hair negative.
    lossPercent: expected > 0 ? Math.max(0, 1 - received / expected) * 100 : 100,
    serverCpuPercent: serverCpu.stop().averagePercent,
    botsCpuPercent: botsCpu.stop().averagePercent,
    windowUs: { startUs, endUs },
  };
}

/** The clock V8's CPU profiler stamps its samples with (CLOCK_MONOTONIC), in microseconds. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function logStep(system: string, s: Step): void {
  console.log(
    `[${system}] ${String(s.subscribers).padStart(2)} subscribers: sent ${s.sentPerSecond.toFixed(0)} pkt/s, forwarded ${s.forwardedPerSecond.toFixed(0)} pkt/s, ` +
      `loss ${s.lossPercent.toFixed(2)}%, server CPU ${s.serverCpuPercent.toFixed(0)}%, bots CPU ${s.botsCpuPercent.toFixed(0)}%`,
  );
}

async function benchOurs(): Promise<Step[]> {
  const maxSubscribers = Math.max(...SUBSCRIBER_STEPS);
  // Under the CPU profiler with --profile; it writes the profile when the server exits.
  const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  const server = await startServer({ LOG_LEVEL: 'warn', MAX_PARTICIPANTS_PER_ROOM: String(maxSubscribers + 1) }, { nodeArgs });
  running.add(server);
  const bots: IpcChild<BotRequest, BotCounts | null> = forkTs('bench/sfuBots.ts');
  running.add(bots);
  try {
    await bots.request({ type: 'publish', wsUrl: server.wsUrl, room: ROOM, packetsPerSecond: PACKETS_PER_SECOND, payloadBytes: PAYLOAD_BYTES });
    const steps: Step[] = [];
    for (const n of SUBSCRIBER_STEPS) {
      try {
        await bots.request({ type: 'subscribe', wsUrl: server.wsUrl, room: ROOM, total: n }, 30_000 + n * 2000);
      } catch (err) {
        // The steps so far still stand; the failure goes into the output and the results.
        console.log(`[ours] ${n} subscribers: could not set up: ${err instanceof Error ? err.message : String(err)}`);
        console.log(`[ours] server's last log lines:\n${server.logs.slice(-10).join('\n')}`);
        setupFailure = `${n} subscribers: ${err instanceof Error ? err.message : String(err)}`;
        break;
      }
      const step = await measureStep(n, async () => (await bots.request({ type: 'counts' }))!, server.process.pid!, bots.pid);
      logStep('ours', step);
      steps.push(step);
    }
    return steps;
  } finally {
    await bots.stop();
    await server.stop();
    running.delete(bots);
    running.delete(server);
  }
}

async function benchBaseline(): Promise<Step[]> {
  const relay: IpcChild<RelayRequest, number | null> = forkTs('bench/udpRelay.ts');
  running.add(relay);
  const bots: IpcChild<UdpBotRequest, BotCounts | number[] | null> = forkTs('bench/udpBots.ts');
  running.add(bots);
  try {
    const relayPort = (await relay.request({ type: 'listen' })) as number;
    await bots.request({ type: 'send', relayPort, packetsPerSecond: PACKETS_PER_SECOND, packetBytes: BASELINE_PACKET_BYTES });
    const steps: Step[] = [];
    for (const n of SUBSCRIBER_STEPS) {
      const ports = (await bots.request({ type: 'receive', total: n })) as number[];
      await relay.request({ type: 'receivers', ports });
      const step = await measureStep(n, async () => (await bots.request({ type: 'counts' })) as BotCounts, relay.pid, bots.pid);
      logStep('baseline', step);
      steps.push(step);
    }
    return steps;
  } finally {
    await bots.stop();
    await relay.stop();
    running.delete(bots);
    running.delete(relay);
  }
}

/** The highest step that lost under 1%: the load the system carries. */
const capacity = (steps: Step[]): Step | undefined => [...steps].reverse().find((s) => s.lossPercent < LOSS_LIMIT * 100);
const perCore = (value: number, cpuPercent: number): number => (cpuPercent > 0 ? value / (cpuPercent / 100) : NaN);

function table(ours: Step | undefined, base: Step | undefined): string[][] {
  const at = (s: Step | undefined, f: (s: Step) => number): number => (s ? f(s) : NaN);
  return [
    ['figure', 'ours', 'baseline', 'ratio', 'target'],
    row('subscribers at the highest step under 1% loss', at(ours, (s) => s.subscribers), at(base, (s) => s.subscribers), 0, ''),
    row('publisher packets/s', at(ours, (s) => s.sentPerSecond), at(base, (s) => s.sentPerSecond), 0, ''),
    row('forwarded packets/s (all subscribers)', at(ours, (s) => s.forwardedPerSecond), at(base, (s) => s.forwardedPerSecond), 0, ''),
    row('loss, %', at(ours, (s) => s.lossPercent), at(base, (s) => s.lossPercent), 2, '< 1'),
    row('server CPU, % of a core', at(ours, (s) => s.serverCpuPercent), at(base, (s) => s.serverCpuPercent), 1, ''),
    row('forwarded packets/s per core', at(ours, (s) => perCore(s.forwardedPerSecond, s.serverCpuPercent)), at(base, (s) => perCore(s.forwardedPerSecond, s.serverCpuPercent)), 0, `>= ${TARGET_PPS_PER_CORE.toLocaleString('en-US')} (ours, SRTP)`),
    row('subscriber video streams per core', at(ours, (s) => perCore(s.subscribers, s.serverCpuPercent)), at(base, (s) => perCore(s.subscribers, s.serverCpuPercent)), 0, ''),
    row('bots CPU, % of a core', at(ours, (s) => s.botsCpuPercent), at(base, (s) => s.botsCpuPercent), 1, ''),
  ];
}

/** Our server's profile, cut to the last step's window, with each category's share turned into CPU time per forwarded packet. */
interface StepProfile extends ProfileSummary {
  subscribers: number;
  /** Server CPU per forwarded packet in that step, microseconds (from /proc, not from the profile). */
  cpuUsPerForwardedPacket: number;
  /** The busy (not idle) samples by category: share of busy time and microseconds per forwarded packet. */
  busy: Array<{ category: string; percentOfBusy: number; usPerPacket: number }>;
}

function profileOfStep(step: Step): StepProfile | undefined {
  const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    console.log(`\nno .cpuprofile in ${PROFILE_DIR}: the server did not exit cleanly`);
    return undefined;
  }
  const summary = summarizeProfile(path.join(PROFILE_DIR, file), 20, { window: step.windowUs });
  const cpuUsPerForwardedPacket = ((step.serverCpuPercent / 100) * 1e6) / step.forwardedPerSecond;
  const busyPercent = 100 - summary.idlePercent;
  const busy = summary.byCategory
    .filter((c) => c.category !== 'idle')
    .map((c) => {
      const percentOfBusy = busyPercent > 0 ? (c.percent / busyPercent) * 100 : NaN;
      return { category: c.category, percentOfBusy: Math.round(percentOfBusy * 10) / 10, usPerPacket: Math.round(percentOfBusy * cpuUsPerForwardedPacket) / 100 };
    });
  console.log(`\nour server's CPU profile at ${step.subscribers} subscribers (${summary.file}, ${summary.totalSamples} samples in the step's window):`);
  console.log(`  server CPU ${step.serverCpuPercent.toFixed(0)}% for ${step.forwardedPerSecond.toFixed(0)} forwarded packets/s = ${cpuUsPerForwardedPacket.toFixed(1)} µs per forwarded packet; idle ${summary.idlePercent}% of samples`);
  console.log('  where the busy time goes:');
  for (const c of busy) console.log(`    ${c.percentOfBusy.toFixed(1).padStart(5)}%  ${c.usPerPacket.toFixed(2).padStart(6)} µs/packet  ${c.category}`);
  console.log('  top functions by self time (% of all samples):');
  for (const f of summary.functions) console.log(`    ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  return { ...summary, subscribers: step.subscribers, cpuUsPerForwardedPacket: Math.round(cpuUsPerForwardedPacket * 100) / 100, busy };
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
  running.clear();
}

async function main(): Promise<void> {
  const began = performance.now();
  const loadAtStart = os.loadavg();
  if (loadAtStart[0]! > 0.5 * os.cpus().length) {
    console.log(`warning: this machine is busy (load average ${loadAtStart[0]!.toFixed(1)} on ${os.cpus().length} cores); the figures will be noisy.`);
  }
  console.log(`publisher: ${PACKETS_PER_SECOND} packets/s of ${PAYLOAD_BYTES} bytes; subscribers ${SUBSCRIBER_STEPS.join(', ')}; ${STEP_SECONDS} s per step`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (flags.profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const ours = await benchOurs();
  const baseline = await benchBaseline();
  const rows = table(capacity(ours), capacity(baseline));
  console.log('');
  printTable(rows);
  const loadAtEnd = os.loadavg();
  console.log(`\nload average: ${loadAtStart[0]!.toFixed(2)} at start, ${loadAtEnd[0]!.toFixed(2)} at end, on ${os.cpus().length} cores`);
  // Our server has exited, so its profile is written; the last step is the one profiled.
  const profile = flags.profile && ours.length > 0 ? profileOfStep(ours.at(-1)!) : undefined;

  const file = path.join(RESULTS_DIR, `sfu-${RUN_STAMP}${flags.profile ? '-profile' : ''}.json`);
  const benchSeconds = Math.round((performance.now() - began) / 1000);
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    settings: { STEP_SECONDS, PACKETS_PER_SECOND, SUBSCRIBER_STEPS, PAYLOAD_BYTES, BASELINE_PACKET_BYTES, SETTLE_MS, LOSS_LIMIT, TARGET_PPS_PER_CORE, profiled: flags.profile },
    loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd },
    table: rows,
    steps: { ours, baseline },
    setupFailure,
    profile,
    benchSeconds,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${file} (${benchSeconds} s)`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench:sfu: ${signal}, stopping the children`);
    void stopAll().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  console.error(`bench:sfu: still running after ${WATCHDOG_MS / 1000} s; stopping`);
  void stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

main()
  .catch((err: unknown) => {
    console.error(`bench:sfu: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
