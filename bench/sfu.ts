// Media forwarding benchmark: our SFU (the built dist/main.js) on each media engine,
// werift and mediasoup, against a bare UDP relay (bench/udpRelay.ts), all in one run on
// loopback. One publisher sends synthetic VP8 RTP at a fixed packet rate; the number of
// subscribers steps up (1, 2, 4, 8, 16 by default). Each step records packets/s sent and
// received (= forwarded), loss, and the CPU of the server, of the bots and of the whole
// machine. The headline is taken at the highest step under 1% loss: forwarded packets/s
// per core, `perCore: { werift, mediasoup, relay }` in the results.
//
// The server's CPU is that of its whole process tree: with mediasoup the forwarding runs
// in the mediasoup-worker processes the Node server spawns, not in Node itself.
//
// Processes: the server, the werift bots (bench/sfuBots.ts: publisher and subscribers),
// then the relay and its plain UDP bots (bench/udpBots.ts). The bots cost CPU too, and on
// a 2-core machine they compete with the server: their CPU and the machine's are
// reported, and each ladder says what limited it (the server, the machine, or neither).
//
// With --rooms N (N > 1), mediasoup runs once more with N rooms at once, each with its own
// publisher, subscribers and bot process; the server places each room on its least-loaded
// worker. That run's total is compared with the one-room figures at each step.
// Usage: npm run bench:sfu [-- --duration-per-step 5 --rate 300 --subscribers 1,2,4,8,16
//          --systems werift,mediasoup,relay --repeat 1 --rooms 2 --profile --decrypt-one-in 256]
//   --decrypt-one-in N  subscriber bots decrypt one packet in N, counting the rest from the
//               clear RTP header (1: decrypt all); failed decryptions are reported.
//   --repeat N  N rounds of every system, in a rotated order; the headline is the median.
//   --profile   run the werift server of the first round under `node --cpu-prof` and
//               summarize the samples taken in the window of its last step (top functions
//               by self time, time by werift layer, our code, node:dgram, GC, idle); the
//               sampling costs the server a little CPU, so a profiled run's werift figures
//               are not the headline.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../tests/helpers/serverProcess.js';
import { gitState } from './gitState.js';
import { forkTs, type IpcChild } from './ipcChild.js';
import { median, sampleMachineCpu, sampleTreeCpu, sleep, type ProcessCpu } from './processes.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import type { BotCounts, BotRequest } from './sfuBots.js';
import { num, printTable, ratio } from './table.js';
import type { UdpBotRequest } from './udpBots.js';
import type { RelayRequest } from './udpRelay.js';

const ENGINES = ['werift', 'mediasoup'] as const;
type Engine = (typeof ENGINES)[number];
const SYSTEMS = [...ENGINES, 'relay'] as const;
type System = (typeof SYSTEMS)[number];

const { values: flags } = parseArgs({
  options: {
    'duration-per-step': { type: 'string', default: '5' },
    rate: { type: 'string', default: '300' },
    subscribers: { type: 'string', default: '1,2,4,8,16' },
    'payload-bytes': { type: 'string', default: '1000' },
    systems: { type: 'string', default: SYSTEMS.join(',') },
    repeat: { type: 'string', default: '1' },
    rooms: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'decrypt-one-in': { type: 'string', default: '256' },
  },
});
const STEP_SECONDS = Number(flags['duration-per-step']);
/** Publisher packets/s: 300 is about a 720p camera at 2.4 Mbit/s. */
const PACKETS_PER_SECOND = Number(flags.rate);
const SUBSCRIBER_STEPS = flags.subscribers.split(',').map(Number);
const PAYLOAD_BYTES = Number(flags['payload-bytes']);
const SYSTEMS_RUN = flags.systems.split(',') as System[];
const ROUNDS = Number(flags.repeat);
/** Rooms of the multi-room mediasoup run; 1 skips it. */
const ROOMS = Number(flags.rooms);
/**
 * Subscriber bots decrypt one forwarded packet in this many and count the rest from their
 * clear RTP headers (loadtest/media/sampledSrtp.ts); 1 decrypts all, as werift would.
 * Decrypting everything, the bots needed three times the server's CPU and the machine
 * ran out before the server did.
 */
const DECRYPT_ONE_IN = Number(flags['decrypt-one-in']);
/** The baseline's datagrams: the RTP payload plus an RTP header and an SRTP tag, about what the SFU's packets weigh. */
const BASELINE_PACKET_BYTES = PAYLOAD_BYTES + 12 + 16;
/** Time after subscribers joined before a window starts: renegotiation and the first RTCP are not forwarding. */
const SETTLE_MS = 1000;
const LOSS_LIMIT = 0.01;
/** Issue 11: mediasoup at least 3x werift and 0.35x the relay per core; N rooms on N workers at least 1.6x one. */
const TARGETS = { mediasoupOverWerift: 3, mediasoupOverRelay: 0.35, roomsOverOneRoom: 1.6 } as const;
/** A process at this share of one core or more is saturated (a worker and werift's server are single-threaded). */
const SATURATED_PERCENT = 85;
const ROOM = 'bench-sfu';
const RESULTS_DIR = 'bench/results';
const RUN_STAMP = new Date().toISOString().replace(/[:.]/g, '-');
/** Where the server writes its .cpuprofile with --profile (one folder per run, so the file is this run's). */
const PROFILE_DIR = path.join('.tmp/profiles', `sfu-${RUN_STAMP}`);
const LADDERS = ROUNDS * SYSTEMS_RUN.length + (ROOMS > 1 ? 1 : 0);
/** The whole run is bounded even if a child hangs. */
const WATCHDOG_MS = (60 + LADDERS * SUBSCRIBER_STEPS.length * (STEP_SECONDS + 20)) * 1000;

if (
  ![STEP_SECONDS, PACKETS_PER_SECOND, PAYLOAD_BYTES].every((n) => Number.isFinite(n) && n > 0) ||
  SUBSCRIBER_STEPS.some((n) => !Number.isInteger(n) || n < 1) ||
  ![ROUNDS, ROOMS, DECRYPT_ONE_IN].every((n) => Number.isInteger(n) && n >= 1) ||
  SYSTEMS_RUN.some((s) => !SYSTEMS.includes(s))
) {
  throw new Error(
    `--duration-per-step, --rate and --payload-bytes take positive numbers, --subscribers a list like 1,2,4, --repeat, --rooms and --decrypt-one-in a whole number >= 1, --systems a list of ${SYSTEMS.join(', ')}`,
  );
}
if (ROOMS > 1 && !SYSTEMS_RUN.includes('mediasoup')) throw new Error('--rooms compares with the one-room mediasoup ladder: keep mediasoup in --systems');

interface Step {
  /** Rooms measured at once, each with one publisher and `subscribers` subscribers. */
  rooms: number;
  /** Subscribers per room. */
  subscribers: number;
  seconds: number;
  /** All publishers together. */
  sentPerSecond: number;
  /** All subscribers together. */
  forwardedPerSecond: number;
  forwardedPerRoomPerSecond: number[];
  lossPercent: number;
  /** The server's process tree (Node and, with mediasoup, its workers), % of one core. */
  serverCpuPercent: number;
  serverProcesses: ProcessCpu[];
  botsCpuPercent: number;
  /** Every process on the machine (other people's included), % of one core; at most cores x 100. */
  machineCpuPercent: number;
  /** The machine minus the server and the bots: this bench's own process and whatever else runs. */
  othersCpuPercent: number;
  /** The measuring window on the monotonic clock (process.hrtime, microseconds), to cut a CPU profile to it. */
  windowUs: { startUs: number; endUs: number };
  /** Sampled forwarded packets the subscribers decrypted in the window, and how many failed to (--decrypt-one-in). */
  decrypted: { verified: number; failed: number };
}

/** One ladder: the steps measured, and why it stopped early if it did. */
interface Ladder {
  system: System;
  rooms: number;
  steps: Step[];
  setupFailure?: string;
}

/** The processes a system under test is made of; all are stopped on exit or Ctrl-C. */
const running = new Set<{ stop(): Promise<unknown> }>();

async function measureStep(rooms: number, subscribers: number, counts: () => Promise<BotCounts[]>, serverPid: number, botPids: number[]): Promise<Step> {
  await sleep(SETTLE_MS);
  const c0 = await counts();
  const t0 = performance.now();
  const startUs = monotonicUs();
  const serverCpu = sampleTreeCpu(serverPid);
  const botsCpu = botPids.map((pid) => sampleTreeCpu(pid));
  const machineCpu = sampleMachineCpu();
  await sleep(STEP_SECONDS * 1000);
  const c1 = await counts();
  const endUs = monotonicUs();
  const machine = machineCpu.stop().busyPercent;
  const server = serverCpu.stop();
  const bots = botsCpu.reduce((sum, b) => sum + b.stop().averagePercent, 0);
  const seconds = (performance.now() - t0) / 1000;
  let sent = 0;
  let received = 0;
  const decrypted = { verified: 0, failed: 0 };
  const perRoom: number[] = [];
  for (const [room, end] of c1.entries()) {
    const start = c0[room]!;
    sent += end.sent - start.sent;
    decrypted.verified += (end.verified ?? 0) - (start.verified ?? 0);
    decrypted.failed += (end.failed ?? 0) - (start.failed ?? 0);
    let roomReceived = 0;
    for (let i = 0; i < subscribers; i++) roomReceived += (end.received[i] ?? 0) - (start.received[i] ?? 0);
    received += roomReceived;
    perRoom.push(roomReceived / seconds);
  }
  const expected = sent * subscribers;
  return {
    rooms,
    subscribers,
    seconds,
    sentPerSecond: sent / seconds,
    forwardedPerSecond: received / seconds,
    forwardedPerRoomPerSecond: perRoom,
    // Packets in flight at the window's edges can make this a hair negative.
    lossPercent: expected > 0 ? Math.max(0, 1 - received / expected) * 100 : 100,
    serverCpuPercent: server.averagePercent,
    serverProcesses: server.processes,
    botsCpuPercent: bots,
    machineCpuPercent: machine,
    othersCpuPercent: Math.max(0, machine - server.averagePercent - bots),
    windowUs: { startUs, endUs },
    decrypted,
  };
}

/** The clock V8's CPU profiler stamps its samples with (CLOCK_MONOTONIC), in microseconds. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

const labelOf = (system: System, rooms: number): string => (rooms > 1 ? `${system} x${rooms} rooms` : system);

function logStep(label: string, s: Step): void {
  const processes = s.serverProcesses.length > 1 ? ` (${s.serverProcesses.map((p) => `${p.name} ${p.percent.toFixed(0)}%`).join(', ')})` : '';
  console.log(
    `[${label}] ${String(s.subscribers).padStart(2)} subscribers${s.rooms > 1 ? ' per room' : ''}: sent ${s.sentPerSecond.toFixed(0)} pkt/s, forwarded ${s.forwardedPerSecond.toFixed(0)} pkt/s, ` +
      `loss ${s.lossPercent.toFixed(2)}%, server CPU ${s.serverCpuPercent.toFixed(0)}%${processes}, bots CPU ${s.botsCpuPercent.toFixed(0)}%, ` +
      `machine ${s.machineCpuPercent.toFixed(0)}% of ${os.cpus().length * 100}% (others ${s.othersCpuPercent.toFixed(0)}%)` +
      (s.decrypted.verified + s.decrypted.failed > 0 ? `, sampled decryptions ${s.decrypted.verified} ok, ${s.decrypted.failed} failed` : ''),
  );
}

/** Our server on one engine, with `rooms` rooms at once; profiled under --profile when asked. */
async function benchEngine(engine: Engine, rooms: number, profile: boolean): Promise<Ladder> {
  const label = labelOf(engine, rooms);
  const ladder: Ladder = { system: engine, rooms, steps: [] };
  const maxSubscribers = Math.max(...SUBSCRIBER_STEPS);
  // Under the CPU profiler with --profile; it writes the profile when the server exits.
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  const server = await startServer({ LOG_LEVEL: 'warn', MEDIA_ENGINE: engine, MAX_PARTICIPANTS_PER_ROOM: String(maxSubscribers + 1) }, { nodeArgs });
  running.add(server);
  const bots: Array<IpcChild<BotRequest, BotCounts | null>> = [];
  try {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { mediaEngine?: string };
    if (health.mediaEngine !== engine) throw new Error(`asked for MEDIA_ENGINE=${engine}, /healthz says ${health.mediaEngine}`);
    // One bot process per room, so that rooms do not share a bot's event loop.
    for (let r = 0; r < rooms; r++) {
      const b: IpcChild<BotRequest, BotCounts | null> = forkTs('bench/sfuBots.ts');
      running.add(b);
      bots.push(b);
    }
    // One room after the other: each is placed on the least-loaded worker when it is created.
    for (const [r, b] of bots.entries()) {
      await b.request({ type: 'publish', wsUrl: server.wsUrl, room: `${ROOM}-${r}`, packetsPerSecond: PACKETS_PER_SECOND, payloadBytes: PAYLOAD_BYTES });
    }
    for (const n of SUBSCRIBER_STEPS) {
      try {
        await Promise.all(bots.map((b, r) => b.request({ type: 'subscribe', wsUrl: server.wsUrl, room: `${ROOM}-${r}`, total: n, decryptOneIn: DECRYPT_ONE_IN > 1 ? DECRYPT_ONE_IN : undefined }, 30_000 + n * 2000)));
      } catch (err) {
        // The steps so far still stand; the failure goes into the output and the results.
        const message = err instanceof Error ? err.message : String(err);
        console.log(`[${label}] ${n} subscribers: could not set up: ${message}`);
        console.log(`[${label}] server's last log lines:\n${server.logs.slice(-10).join('\n')}`);
        ladder.setupFailure = `${n} subscribers: ${message}`;
        break;
      }
      const counts = async (): Promise<BotCounts[]> => (await Promise.all(bots.map((b) => b.request({ type: 'counts' })))) as BotCounts[];
      const step = await measureStep(rooms, n, counts, server.process.pid!, bots.map((b) => b.pid));
      logStep(label, step);
      ladder.steps.push(step);
    }
  } catch (err) {
    ladder.setupFailure = `before the first step: ${err instanceof Error ? err.message : String(err)}`;
    console.log(`[${label}] ${ladder.setupFailure}\n[${label}] server's last log lines:\n${server.logs.slice(-10).join('\n')}`);
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
    for (const b of bots) running.delete(b);
    running.delete(server);
  }
  return ladder;
}

async function benchRelay(): Promise<Ladder> {
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
      const step = await measureStep(1, n, async () => [(await bots.request({ type: 'counts' })) as BotCounts], relay.pid, [bots.pid]);
      logStep('relay', step);
      steps.push(step);
    }
    return { system: 'relay', rooms: 1, steps };
  } finally {
    await bots.stop();
    await relay.stop();
    running.delete(bots);
    running.delete(relay);
  }
}

/** The highest step that lost under 1% and whose sampled packets all decrypted: the load the system carries. */
const capacity = (steps: readonly Step[]): Step | undefined => [...steps].reverse().find((s) => s.lossPercent < LOSS_LIMIT * 100 && s.decrypted.failed === 0);
const perCore = (value: number, cpuPercent: number): number => (cpuPercent > 0 ? value / (cpuPercent / 100) : NaN);
const busiestProcess = (s: Step): ProcessCpu => s.serverProcesses.reduce((a, b) => (b.percent > a.percent ? b : a));

/**
 * What stopped a ladder from carrying more, judged at its top step: a saturated server
 * process, a machine with every core busy (the bots, or someone else, took the rest), or
 * neither (the ladder ended before either; more subscribers would tell).
 */
function limitOf(ladder: Ladder): string {
  const top = ladder.steps.at(-1);
  if (!top) return 'no step measured';
  const busiest = busiestProcess(top);
  const lossy = top.lossPercent >= LOSS_LIMIT * 100 ? `lost ${top.lossPercent.toFixed(1)}% at ${top.subscribers}` : `under 1% loss up to ${top.subscribers}`;
  const cores = os.cpus().length * 100;
  if (busiest.percent >= SATURATED_PERCENT) return `${lossy}; the server: ${busiest.name} (pid ${busiest.pid}) at ${busiest.percent.toFixed(0)}% of a core`;
  if (top.machineCpuPercent >= (SATURATED_PERCENT / 100) * cores) {
    return `${lossy}; the machine: ${top.machineCpuPercent.toFixed(0)}% of ${cores}% busy (server ${top.serverCpuPercent.toFixed(0)}%, bots ${top.botsCpuPercent.toFixed(0)}%, others ${top.othersCpuPercent.toFixed(0)}%), server's busiest process at ${busiest.percent.toFixed(0)}%`;
  }
  return `${lossy}; neither the server (busiest process ${busiest.percent.toFixed(0)}%) nor the machine (${top.machineCpuPercent.toFixed(0)}% of ${cores}%) was saturated: the load offered was the limit`;
}

/** The headline figures of one system over the rounds: each figure's median of the rounds' capacity steps. */
interface Headline {
  subscribers: number;
  sentPerSecond: number;
  forwardedPerSecond: number;
  lossPercent: number;
  serverCpuPercent: number;
  perCore: number;
  /**
   * Added forwarded packets/s per added core from the lowest step to the capacity step:
   * without the fixed cost (the publisher's stream, timers, stats) that dominates a
   * lightly loaded server's per-core figure.
   */
  marginalPerCore: number;
  streamsPerCore: number;
  botsCpuPercent: number;
  machineCpuPercent: number;
  /** Each round's forwarded packets/s per core, in round order. */
  perCoreByRound: number[];
}

function headline(ladders: readonly Ladder[]): Headline | undefined {
  const caps = ladders.map((l) => capacity(l.steps)).filter((s): s is Step => s !== undefined);
  if (caps.length === 0) return undefined;
  const m = (f: (s: Step) => number): number => median(caps.map(f));
  const marginal = ladders.map((l) => {
    const [low, cap] = [l.steps[0], capacity(l.steps)];
    return low && cap && cap !== low ? perCore(cap.forwardedPerSecond - low.forwardedPerSecond, cap.serverCpuPercent - low.serverCpuPercent) : NaN;
  });
  return {
    subscribers: m((s) => s.subscribers),
    sentPerSecond: m((s) => s.sentPerSecond),
    forwardedPerSecond: m((s) => s.forwardedPerSecond),
    lossPercent: m((s) => s.lossPercent),
    serverCpuPercent: m((s) => s.serverCpuPercent),
    perCore: m((s) => perCore(s.forwardedPerSecond, s.serverCpuPercent)),
    marginalPerCore: median(marginal.filter(Number.isFinite)),
    streamsPerCore: m((s) => perCore(s.subscribers, s.serverCpuPercent)),
    botsCpuPercent: m((s) => s.botsCpuPercent),
    machineCpuPercent: m((s) => s.machineCpuPercent),
    perCoreByRound: caps.map((s) => perCore(s.forwardedPerSecond, s.serverCpuPercent)),
  };
}

function sideBySide(h: Record<System, Headline | undefined>): string[][] {
  const cell = (s: System, f: (x: Headline) => number, digits: number): string => num(h[s] && f(h[s]), digits);
  const line = (figure: string, f: (x: Headline) => number, digits: number, target = ''): string[] => [
    figure,
    ...SYSTEMS.map((s) => cell(s, f, digits)),
    ratio(h.mediasoup && f(h.mediasoup), h.werift && f(h.werift)),
    ratio(h.mediasoup && f(h.mediasoup), h.relay && f(h.relay)),
    target,
  ];
  return [
    ['figure (at the highest step under 1% loss)', ...SYSTEMS, 'mediasoup/werift', 'mediasoup/relay', 'target'],
    line('subscribers', (x) => x.subscribers, 0),
    line('publisher packets/s', (x) => x.sentPerSecond, 0),
    line('forwarded packets/s (all subscribers)', (x) => x.forwardedPerSecond, 0),
    line('loss, %', (x) => x.lossPercent, 2, '< 1'),
    line('server CPU (process tree), % of a core', (x) => x.serverCpuPercent, 1),
    line('forwarded packets/s per core', (x) => x.perCore, 0, `ms/werift >= ${TARGETS.mediasoupOverWerift}, ms/relay >= ${TARGETS.mediasoupOverRelay}`),
    line('  marginal: added packets/s per added core, lowest step to that one', (x) => x.marginalPerCore, 0),
    line('subscriber video streams per core', (x) => x.streamsPerCore, 0),
    line('bots CPU, % of a core', (x) => x.botsCpuPercent, 1),
    // Above 1, the bots need more of the machine than the server they load: on 2 cores they saturate it first.
    line('bots CPU / server CPU', (x) => x.botsCpuPercent / x.serverCpuPercent, 1),
    line(`machine CPU, % of ${os.cpus().length * 100}`, (x) => x.machineCpuPercent, 0),
  ];
}

/** The N-room mediasoup run against the one-room ladders (median over rounds), step by step. */
interface RoomsComparison {
  rooms: number;
  steps: Array<{
    subscribersPerRoom: number;
    oneRoomForwardedPerSecond: number;
    roomsForwardedPerSecond: number;
    ratio: number;
    oneRoomLossPercent: number;
    roomsLossPercent: number;
    oneRoomServerCpuPercent: number;
    roomsServerCpuPercent: number;
    /** The N-room run's mediasoup-worker processes, % of a core each. */
    roomsWorkerCpuPercent: number[];
    roomsBotsCpuPercent: number;
    roomsMachineCpuPercent: number;
  }>;
  /** Total forwarded packets/s at the highest step under 1% loss: N rooms / one room. */
  capacityRatio: number;
  oneRoomCapacityForwardedPerSecond: number;
  roomsCapacityForwardedPerSecond: number;
  roomsPerCore: number;
}

function compareRooms(oneRoom: readonly Ladder[], rooms: Ladder): RoomsComparison {
  const steps: RoomsComparison['steps'] = [];
  for (const s of rooms.steps) {
    const same = oneRoom.map((l) => l.steps.find((x) => x.subscribers === s.subscribers)).filter((x): x is Step => x !== undefined);
    const m = (f: (x: Step) => number): number => median(same.map(f));
    steps.push({
      subscribersPerRoom: s.subscribers,
      oneRoomForwardedPerSecond: m((x) => x.forwardedPerSecond),
      roomsForwardedPerSecond: s.forwardedPerSecond,
      ratio: s.forwardedPerSecond / m((x) => x.forwardedPerSecond),
      oneRoomLossPercent: m((x) => x.lossPercent),
      roomsLossPercent: s.lossPercent,
      oneRoomServerCpuPercent: m((x) => x.serverCpuPercent),
      roomsServerCpuPercent: s.serverCpuPercent,
      roomsWorkerCpuPercent: s.serverProcesses.filter((p) => p.name.startsWith('mediasoup')).map((p) => p.percent),
      roomsBotsCpuPercent: s.botsCpuPercent,
      roomsMachineCpuPercent: s.machineCpuPercent,
    });
  }
  const one = median(oneRoom.map((l) => capacity(l.steps)?.forwardedPerSecond ?? NaN).filter(Number.isFinite));
  const cap = capacity(rooms.steps);
  return {
    rooms: rooms.rooms,
    steps,
    capacityRatio: (cap?.forwardedPerSecond ?? NaN) / one,
    oneRoomCapacityForwardedPerSecond: one,
    roomsCapacityForwardedPerSecond: cap?.forwardedPerSecond ?? NaN,
    roomsPerCore: cap ? perCore(cap.forwardedPerSecond, cap.serverCpuPercent) : NaN,
  };
}

function roomsTable(c: RoomsComparison): string[][] {
  return [
    ['subscribers per room', 'fwd/s 1 room', `fwd/s ${c.rooms} rooms`, 'ratio', 'loss % 1 / N', 'server CPU % 1 / N', 'workers CPU % (N rooms)', 'bots CPU % (N)', 'machine % (N)'],
    ...c.steps.map((s) => [
      String(s.subscribersPerRoom),
      num(s.oneRoomForwardedPerSecond, 0),
      num(s.roomsForwardedPerSecond, 0),
      num(s.ratio, 2),
      `${num(s.oneRoomLossPercent, 2)} / ${num(s.roomsLossPercent, 2)}`,
      `${num(s.oneRoomServerCpuPercent, 0)} / ${num(s.roomsServerCpuPercent, 0)}`,
      s.roomsWorkerCpuPercent.map((p) => num(p, 0)).join(' + '),
      num(s.roomsBotsCpuPercent, 0),
      num(s.roomsMachineCpuPercent, 0),
    ]),
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
  console.log(`\nthe werift server's CPU profile at ${step.subscribers} subscribers (${summary.file}, ${summary.totalSamples} samples in the step's window):`);
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

const rounded = (n: number | undefined, digits = 0): number | null => (n !== undefined && Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

async function main(): Promise<void> {
  const began = performance.now();
  const loadAtStart = os.loadavg();
  if (loadAtStart[0]! > 0.5 * os.cpus().length) {
    console.log(`warning: this machine is busy (load average ${loadAtStart[0]!.toFixed(1)} on ${os.cpus().length} cores); the figures will be noisy.`);
  }
  console.log(
    `publisher: ${PACKETS_PER_SECOND} packets/s of ${PAYLOAD_BYTES} bytes; subscribers ${SUBSCRIBER_STEPS.join(', ')}; ${STEP_SECONDS} s per step; ` +
      `${SYSTEMS_RUN.join(', ')} x ${ROUNDS} round(s)${ROOMS > 1 ? `; then mediasoup with ${ROOMS} rooms at once` : ''}`,
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (flags.profile) mkdirSync(PROFILE_DIR, { recursive: true });

  const ladders: Ladder[] = [];
  let profiledWerift: Ladder | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    // A rotated order, so that no system always runs first (or last, when the machine got busier).
    const order = SYSTEMS_RUN.map((_, i) => SYSTEMS_RUN[(i + round) % SYSTEMS_RUN.length]!);
    if (ROUNDS > 1) console.log(`\nround ${round + 1} of ${ROUNDS}: ${order.join(', ')}`);
    for (const system of order) {
      const profile = flags.profile && system === 'werift' && round === 0;
      const ladder = system === 'relay' ? await benchRelay() : await benchEngine(system, 1, profile);
      console.log(`[${system}] what limited it: ${limitOf(ladder)}`);
      ladders.push(ladder);
      if (profile) profiledWerift = ladder;
    }
  }
  const oneRoom = (system: System): Ladder[] => ladders.filter((l) => l.system === system && l.rooms === 1);
  let roomsLadder: Ladder | undefined;
  if (ROOMS > 1) {
    console.log('');
    roomsLadder = await benchEngine('mediasoup', ROOMS, false);
    console.log(`[${labelOf('mediasoup', ROOMS)}] what limited it: ${limitOf(roomsLadder)}`);
  }

  const headlines = Object.fromEntries(SYSTEMS.map((s) => [s, headline(oneRoom(s))])) as Record<System, Headline | undefined>;
  const rows = sideBySide(headlines);
  console.log('');
  printTable(rows);
  if (ROUNDS > 1) for (const s of SYSTEMS_RUN) console.log(`${s}: forwarded packets/s per core by round: ${headlines[s]?.perCoreByRound.map((v) => num(v, 0)).join(', ') ?? '-'}`);
  const rooms = roomsLadder && compareRooms(oneRoom('mediasoup'), roomsLadder);
  if (rooms) {
    console.log(`\nmediasoup, ${ROOMS} rooms at once against one room (each room: 1 publisher, that many subscribers):`);
    printTable(roomsTable(rooms));
    console.log(
      `total forwarded at the highest step under 1% loss: ${num(rooms.roomsCapacityForwardedPerSecond, 0)} pkt/s with ${ROOMS} rooms, ${num(rooms.oneRoomCapacityForwardedPerSecond, 0)} with one: ` +
        `${num(rooms.capacityRatio, 2)}x (target >= ${TARGETS.roomsOverOneRoom}x; meaningful only where one room was limited by its worker, see "what limited it")`,
    );
  }
  const loadAtEnd = os.loadavg();
  console.log(`\nload average: ${loadAtStart[0]!.toFixed(2)} at start, ${loadAtEnd[0]!.toFixed(2)} at end, on ${os.cpus().length} cores`);
  // The profiled server has exited, so its profile is written; its last step is the one profiled.
  const profile = profiledWerift && profiledWerift.steps.length > 0 ? profileOfStep(profiledWerift.steps.at(-1)!) : undefined;

  const perCoreFigures = { werift: rounded(headlines.werift?.perCore), mediasoup: rounded(headlines.mediasoup?.perCore), relay: rounded(headlines.relay?.perCore) };
  const ratios = {
    mediasoupOverWerift: rounded((headlines.mediasoup?.perCore ?? NaN) / (headlines.werift?.perCore ?? NaN), 2),
    mediasoupOverRelay: rounded((headlines.mediasoup?.perCore ?? NaN) / (headlines.relay?.perCore ?? NaN), 2),
    weriftOverRelay: rounded((headlines.werift?.perCore ?? NaN) / (headlines.relay?.perCore ?? NaN), 2),
    ...(rooms ? { roomsOverOneRoom: rounded(rooms.capacityRatio, 2) } : {}),
  };
  console.log(`\nperCore ${JSON.stringify(perCoreFigures)}; ratios ${JSON.stringify(ratios)}`);

  const file = path.join(RESULTS_DIR, `sfu-${RUN_STAMP}${flags.profile ? '-profile' : ''}.json`);
  const benchSeconds = Math.round((performance.now() - began) / 1000);
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    git: gitState(),
    settings: { STEP_SECONDS, PACKETS_PER_SECOND, SUBSCRIBER_STEPS, PAYLOAD_BYTES, BASELINE_PACKET_BYTES, SETTLE_MS, LOSS_LIMIT, SYSTEMS_RUN, ROUNDS, ROOMS, DECRYPT_ONE_IN, profiled: flags.profile },
    loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd },
    /** Forwarded packets/s per core of the server's process tree, at the highest step under 1% loss (median over rounds). */
    perCore: perCoreFigures,
    ratios,
    targets: TARGETS,
    headlines,
    table: rows,
    /** What limited each ladder, in run order (one-room ladders, then the N-room one). */
    limits: [...ladders, ...(roomsLadder ? [roomsLadder] : [])].map((l) => ({ system: l.system, rooms: l.rooms, limit: limitOf(l) })),
    ladders,
    rooms: rooms && { ...rooms, ladder: roomsLadder },
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
