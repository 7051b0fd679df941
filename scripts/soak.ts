// Soak: a two-node cluster over a Redis of its own, on loopback, under join/leave/publish
// churn from the load tester's bots (media bots publishing synthetic RTP, signaling bots
// joining and leaving), with a Redis restart and a kill -9 (and restart) of one node along
// the way. Every few seconds it samples each node's heap, handles, sockets, UDP ports and
// the Redis key count; at the end it checks that what should be flat after warm-up grew by
// less than 5 %, and that every roster matches who is connected. `npm run soak` (30
// minutes) or `npm run soak -- --minutes 3`. Writes bench/results/soak-<time>.json.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { z } from 'zod';
import { parseLoadArgs } from '../loadtest/options.js';
import { runLoad } from '../loadtest/run.js';
import { FAST_CLUSTER_ENV } from '../tests/helpers/cluster.js';
import { inspectorArgs, liveHeapBytes, type Inspectable } from '../tests/helpers/fuzzHeap.js';
import { startRedis } from '../tests/helpers/redis.js';
import { startServer, TEST_JWT_SECRET, type ServerHandle } from '../tests/helpers/serverProcess.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';
import type { JoinResult } from '../signaling/protocol.js';

const args = z
  .object({
    minutes: z.coerce.number().positive().max(24 * 60).default(30),
    'sample-seconds': z.coerce.number().positive().max(600).default(5),
    engine: z.enum(['werift', 'mediasoup', 'auto']).default('werift'),
  })
  .parse(parseArgs({ options: { minutes: { type: 'string' }, 'sample-seconds': { type: 'string' }, engine: { type: 'string' } } }).values);

const TOTAL_MS = args.minutes * 60_000;
const SAMPLE_MS = args['sample-seconds'] * 1000;
/** Rounds of churn last this long; between rounds everyone but the residents has left (a quiet point). */
const ROUND_S = Math.max(8, Math.min(30, Math.round(TOTAL_MS / 1000 / 12)));
const DRIFT_LIMIT = 0.05;
const RESIDENTS = 4;
const RESIDENT_ROOM = 'soak-residents';
// When things happen, as fractions of the run: warm-up, Redis restart, kill -9, then the flat part.
const AT = { warmUp: 0.15, redisRestart: 0.25, nodeKill: 0.4, flatFrom: 0.5 };
const MAX_ROUNDS = 10_000;

const startedAt = Date.now();
const elapsed = (): number => Date.now() - startedAt;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => void process.stderr.write(`[soak ${(elapsed() / 1000).toFixed(0).padStart(5)} s] ${line}\n`);

// ---- the cluster ----

const redis = await startRedis({ spawn: true });
const nodeEnv = (i: number): Record<string, string> => ({ REDIS_URL: redis.url, NODE_ID: `node-${i + 1}`, MEDIA_ENGINE: args.engine, LOG_LEVEL: 'warn', ...FAST_CLUSTER_ENV });
/** Each node runs with the inspector on a loopback port: quiet samples read the heap after a full GC. */
const inspectors: Inspectable[] = [];
/** Every start of every node, with its logs: the error lines (an INTERNAL's cause) are reported at the end. */
const started: { node: string; handle: ServerHandle }[] = [];
const startNode = async (i: number): Promise<ServerHandle> => {
  inspectors[i] = await inspectorArgs();
  const handle = await startServer(nodeEnv(i), { nodeArgs: inspectors[i]!.nodeArgs });
  started.push({ node: `node-${i + 1}`, handle });
  return handle;
};
const nodes: (ServerHandle | undefined)[] = [await startNode(0), await startNode(1)];
/** Which start of each node a sample belongs to (node-2 starts twice). */
const incarnation = [1, 1];
/** When each node last started (s into the run): a restarted node warms up again before its heap is judged. */
const lastStartS = [0, 0];
const liveUrl = (i: number): string | undefined => nodes[i]?.wsUrl ?? nodes.find((n) => n)?.wsUrl;
log(`redis ${redis.url}; ${nodes.map((n) => n!.url).join(', ')}; engine ${args.engine}; ${args.minutes} min, rounds of ${ROUND_S} s`);

// ---- residents: participants who stay all run, rejoining whenever their socket closes ----

interface Resident {
  index: number;
  identity: string;
  client: TestClient | undefined;
  participantId: string | undefined;
  rejoins: number;
  closes: Record<string, number>;
}
const residents: Resident[] = Array.from({ length: RESIDENTS }, (_, index) => ({ index, identity: `resident-${index}`, client: undefined, participantId: undefined, rejoins: 0, closes: {} }));
let stopping = false;

async function keepResident(r: Resident): Promise<void> {
  while (!stopping) {
    const url = liveUrl(r.index % 2);
    try {
      if (!url) throw new Error('no node up');
      const client = await TestClient.connect(url);
      const response = await client.request({ type: 'join', token: signedToken({ room: RESIDENT_ROOM, identity: r.identity, name: `Resident ${r.index}` }), room: RESIDENT_ROOM }, 10_000);
      if (!response.ok) {
        await client.close();
        throw new Error(response.error.code);
      }
      r.client = client;
      r.participantId = (response.result as JoinResult).participantId;
      r.rejoins++;
      const closed = await client.closed;
      r.client = undefined;
      r.participantId = undefined;
      r.closes[closed.code] = (r.closes[closed.code] ?? 0) + 1;
    } catch {
      // A node down, Redis away (4013) or a room moving: try again shortly.
    }
    if (!stopping) await sleep(500);
  }
}
const residentLoops = residents.map((r) => keepResident(r));

// ---- samples ----

interface Sample {
  atS: number;
  node: string;
  incarnation: number;
  /** Taken between rounds, with only the residents in; its heap is the live heap after a full GC. */
  quiet: boolean;
  heapUsedMiB: number;
  rssMiB: number;
  handles: number;
  sockets: number;
  udpPorts: number;
  tcpSockets: number;
  participants: number;
  redisKeys: number;
}
const samples: Sample[] = [];

/** Socket inodes of a process and its children (mediasoup workers). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  const visit = (p: number): void => {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        const target = (() => {
          try {
            return readlinkSync(`/proc/${p}/fd/${fd}`);
          } catch {
            return '';
          }
        })();
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      }
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone
    }
  };
  visit(pid);
  return inodes;
}

function countIn(table: string, inodes: Set<string>): number {
  let n = 0;
  for (const file of [`/proc/net/${table}`, `/proc/net/${table}6`]) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode && inodes.has(inode)) n++;
    }
  }
  return n;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** The sum of a labelled gauge over all its label values. */
function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

async function redisKeyCount(): Promise<number> {
  const client = createClient({ url: redis.url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.dbSize();
  } catch {
    return NaN;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function sample(quiet: boolean): Promise<void> {
  const redisKeys = await redisKeyCount();
  for (const [i, node] of nodes.entries()) {
    if (!node?.process.pid) continue;
    let text = '';
    try {
      const res = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(2000) });
      text = await res.text();
    } catch {
      continue;
    }
    // Between rounds the live heap (after a full GC) is what drift is judged on; under load, V8's used heap.
    const heapBytes = quiet ? await liveHeapBytes(inspectors[i]!.port, node.url).catch(() => NaN) : metric(text, 'nodejs_heap_size_used_bytes');
    const inodes = socketInodes(node.process.pid);
    samples.push({
      atS: Math.round(elapsed() / 100) / 10,
      node: `node-${i + 1}`,
      incarnation: incarnation[i]!,
      quiet,
      heapUsedMiB: Math.round((heapBytes / 1024 / 1024) * 10) / 10,
      rssMiB: Math.round(metric(text, 'process_resident_memory_bytes') / 1024 / 1024),
      // Active libuv resources (handles, requests, timers), summed over nodejs_active_resources's types.
      handles: sumOf(text, 'nodejs_active_resources'),
      sockets: inodes.size,
      udpPorts: countIn('udp', inodes),
      tcpSockets: countIn('tcp', inodes),
      participants: metric(text, 'rtc_participants'),
      redisKeys,
    });
    printSample(samples.at(-1)!);
  }
}

const COLUMNS = ['atS', 'node', 'incarnation', 'quiet', 'heapUsedMiB', 'rssMiB', 'handles', 'sockets', 'udpPorts', 'tcpSockets', 'participants', 'redisKeys'] as const;
let headerPrinted = false;
function printSample(s: Sample): void {
  if (!headerPrinted) {
    process.stdout.write(`${COLUMNS.map((c) => c.padStart(12)).join('')}\n`);
    headerPrinted = true;
  }
  process.stdout.write(`${COLUMNS.map((c) => String(s[c]).padStart(12)).join('')}\n`);
}

const sampler = (async () => {
  while (!stopping) {
    await sample(false);
    await sleep(SAMPLE_MS);
  }
})();

// ---- churn ----

const loadErrors: Record<string, number> = {};
let rounds = 0;
let mediaPacketsReceived = 0;

async function round(n: number): Promise<void> {
  const runs: Promise<void>[] = [];
  const load = async (argv: string[]): Promise<void> => {
    const parsed = parseLoadArgs([...argv, '--jwt-secret', TEST_JWT_SECRET, '--quiet', '--duration', String(ROUND_S), '--timeout', '8000']);
    if (!parsed.ok) throw new Error(`loadtest arguments: ${parsed.help ? 'help' : parsed.error}`);
    const report = await runLoad(parsed.options);
    for (const [code, count] of Object.entries(report.errors.byCode)) loadErrors[code] = (loadErrors[code] ?? 0) + count;
    mediaPacketsReceived += report.media?.packets.received ?? 0;
  };
  const mediaUrl = liveUrl(n % 2);
  const churnUrl = liveUrl((n + 1) % 2);
  // Media bots: two rooms of three, one publisher each; they join, publish, receive, and leave at the end.
  if (mediaUrl) runs.push(load(['--url', mediaUrl, '--scenario', 'fanout', '--media', '--clients', '6', '--rooms', '2', '--publishers', '1', '--video-pps', '50', '--message-rate', '1', '--room-prefix', `soak-m${n}`]));
  // Signaling bots: join and leave in a loop.
  if (churnUrl) runs.push(load(['--url', churnUrl, '--scenario', 'churn', '--clients', '16', '--rooms', '4', '--rate', '8', '--room-prefix', `soak-c${n}`]));
  const settled = await Promise.allSettled(runs);
  for (const s of settled) if (s.status === 'rejected') loadErrors[`run:${(s.reason as Error).message}`] = (loadErrors[`run:${(s.reason as Error).message}`] ?? 0) + 1;
}

const disruptions: { atS: number; what: string }[] = [];
const disrupt = (async () => {
  await sleep(TOTAL_MS * AT.redisRestart);
  if (stopping) return;
  log('restarting redis');
  await redis.restart();
  disruptions.push({ atS: elapsed() / 1000, what: 'redis restart' });
  await sleep(Math.max(0, TOTAL_MS * AT.nodeKill - elapsed()));
  if (stopping) return;
  log('kill -9 node-2');
  const victim = nodes[1]!;
  nodes[1] = undefined;
  await victim.stop('SIGKILL');
  disruptions.push({ atS: elapsed() / 1000, what: 'kill -9 node-2' });
  await sleep(3000);
  nodes[1] = await startNode(1);
  incarnation[1]!++;
  lastStartS[1] = elapsed() / 1000;
  disruptions.push({ atS: elapsed() / 1000, what: 'node-2 restarted' });
  log(`node-2 restarted at ${nodes[1].url}`);
})();

const churnEnd = TOTAL_MS - 5_000;
while (elapsed() + ROUND_S * 1000 < churnEnd && rounds < MAX_ROUNDS) {
  await round(rounds++);
  // Between rounds: the bots are gone, the residents stay. Give the leaves a moment, then a quiet sample.
  await sleep(1500);
  await sample(true);
}
await disrupt;

// ---- the end: rosters ----

/** Waits (bounded) until every resident is joined, e.g. after a late reconnect. */
async function residentsSettled(limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (residents.every((r) => r.participantId)) return true;
    await sleep(250);
  }
  return false;
}
const allResidentsIn = await residentsSettled(20_000);
await sleep(2000);
await sample(true);

interface RosterCheck {
  node: string;
  room: string;
  expected: string[];
  seen: string[];
  ok: boolean;
}
const rosterChecks: RosterCheck[] = [];
async function checkRoster(nodeIndex: number, room: string, expected: string[]): Promise<void> {
  const node = nodes[nodeIndex];
  if (!node) return;
  const client = await TestClient.connect(node.wsUrl);
  const response = await client.request({ type: 'join', token: signedToken({ room, name: 'Checker' }), room }, 10_000);
  const seen = response.ok ? (response.result as JoinResult).participants.map((p) => p.id).sort() : [`refused: ${response.error.code}`];
  await client.close();
  const sorted = [...expected].sort();
  rosterChecks.push({ node: `node-${nodeIndex + 1}`, room, expected: sorted, seen, ok: JSON.stringify(seen) === JSON.stringify(sorted) });
  // The checker's own leave has to reach the other node before the next check joins.
  await sleep(500);
}
const residentIds = residents.map((r) => r.participantId).filter((id): id is string => id !== undefined);
for (const i of [0, 1]) await checkRoster(i, RESIDENT_ROOM, residentIds);
// Rooms the bots used, first, middle and last round: nobody is left in them.
for (const n of new Set([0, Math.floor(rounds / 2), rounds - 1])) {
  for (const room of [`soak-m${n}-0`, `soak-c${n}-0`]) await checkRoster(n % 2, room, []);
}

stopping = true;
for (const r of residents) r.client?.terminate();
await Promise.all([...residentLoops, sampler]);

// ---- drift ----

interface Drift {
  series: string;
  metric: string;
  first: number;
  last: number;
  growth: number;
  ok: boolean;
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
};
const DRIFT_METRICS = ['heapUsedMiB', 'handles', 'sockets', 'udpPorts', 'tcpSockets', 'redisKeys'] as const;
const drifts: Drift[] = [];
const flatFromS = (TOTAL_MS * AT.flatFrom) / 1000;
for (const node of ['node-1', 'node-2']) {
  // Quiet samples of the node's last start, after warm-up and after the disruptions.
  const last = Math.max(...samples.filter((s) => s.node === node).map((s) => s.incarnation));
  const judgedFromS = Math.max(flatFromS, lastStartS[node === 'node-1' ? 0 : 1]! + (TOTAL_MS * AT.warmUp) / 1000);
  const quiet = samples.filter((s) => s.node === node && s.incarnation === last && s.quiet && s.atS >= judgedFromS);
  const third = Math.max(1, Math.floor(quiet.length / 3));
  for (const m of DRIFT_METRICS) {
    if (m === 'redisKeys' && node === 'node-2') continue; // one Redis: counted once
    const first = median(quiet.slice(0, third).map((s) => s[m]));
    const lastValue = median(quiet.slice(-third).map((s) => s[m]));
    const growth = first > 0 ? (lastValue - first) / first : lastValue > 0 ? Infinity : 0;
    drifts.push({ series: m === 'redisKeys' ? 'redis' : node, metric: m, first, last: lastValue, growth, ok: quiet.length >= 2 && Number.isFinite(first) && Number.isFinite(lastValue) && growth < DRIFT_LIMIT });
  }
}
const finalParticipants = samples.filter((s) => s.quiet).slice(-2).reduce((sum, s) => sum + s.participants, 0);

const ok = allResidentsIn && rosterChecks.every((c) => c.ok) && drifts.every((d) => d.ok) && rounds > 0;
process.stdout.write('\ndrift over the quiet samples after warm-up and disruptions (growth must stay below 5 %):\n');
for (const d of drifts) process.stdout.write(`  ${d.series.padEnd(7)} ${d.metric.padEnd(12)} ${String(d.first).padStart(8)} -> ${String(d.last).padStart(8)}  ${(d.growth * 100).toFixed(1).padStart(6)} %  ${d.ok ? 'ok' : 'FAIL'}\n`);
process.stdout.write('rosters:\n');
for (const c of rosterChecks) process.stdout.write(`  ${c.node} ${c.room.padEnd(16)} expected ${c.expected.length}, saw ${c.seen.length}  ${c.ok ? 'ok' : `FAIL ${JSON.stringify(c.seen)}`}\n`);
process.stdout.write(`rounds ${rounds}; disruptions ${JSON.stringify(disruptions)}; residents rejoined ${residents.map((r) => r.rejoins).join('/')} times\n`);
process.stdout.write(`bot errors (expected around the disruptions) ${JSON.stringify(loadErrors)}; media packets received ${mediaPacketsReceived}\n`);
process.stdout.write(`participants on the nodes at the end: ${finalParticipants} (residents ${RESIDENTS})\n`);
// The nodes log at warn: their error lines say what a bot's INTERNAL (a bug by definition) was.
const serverErrors = started.flatMap(({ node, handle }, start) => handle.logs.filter((line) => line.includes('"level":"error"')).slice(0, 20).map((line) => ({ node, start, line })));
process.stdout.write(`server error lines: ${serverErrors.length}\n`);
for (const e of serverErrors) process.stdout.write(`  ${e.node} (start ${e.start}) ${e.line.slice(0, 600)}\n`);
process.stdout.write(`${ok ? 'SOAK OK' : 'SOAK FAILED'}\n`);

mkdirSync('bench/results', { recursive: true });
const file = path.join('bench/results', `soak-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ startedAt: new Date(startedAt).toISOString(), args, roundSeconds: ROUND_S, rounds, disruptions, samples, drifts, rosterChecks, residents: residents.map(({ client: _c, ...r }) => r), loadErrors, serverErrors, mediaPacketsReceived, ok }, null, 2)}\n`,
);
process.stdout.write(`wrote ${file}\n`);

await Promise.allSettled(nodes.map((n) => n?.stop()));
await redis.stop();
process.exit(ok ? 0 : 1);
