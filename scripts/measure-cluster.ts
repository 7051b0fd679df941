// Measures cluster mode on this machine and writes bench/results/cluster.json:
//  - Redis commands per join (INFO commandstats around one join on the owner node and one
//    relayed join from another node), with heartbeats' own traffic measured and removed;
//  - resume time: a dropped participant's new socket on another node, open to resumed.
//  - failover: kill -9 of a room's owner in a three-node cluster with the default TTLs,
//    behind a balancer without stickiness, two Chromium pages in the room; the time from
//    the kill until both pages decode each other's video again, over several kills.
// Usage: npm run measure:cluster -- [--runs 5] [--kills 5]
import { mkdirSync, writeFileSync } from 'node:fs';
import { createClient } from 'redis';
import { decodesEveryone, openCall } from '../tests/e2e/callPage.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { startCluster } from '../tests/helpers/cluster.js';
import { startServer } from '../tests/helpers/serverProcess.js';
import { startLoadBalancer } from './loadBalancer.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';
import type { JoinResult } from '../signaling/protocol.js';

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 50) throw new Error(`${name} takes a whole number from 1 to 50`);
  return value;
}
const runs = numberArg('--runs', 5);
const kills = numberArg('--kills', 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cluster = await startCluster(2, { RESUME_GRACE_MS: '10000' }, { spawnRedis: true });
const redis = createClient({ url: cluster.redis.url });
await redis.connect();

async function commandCounts(): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
const total = (d: Record<string, number>): number => Object.entries(d).filter(([k]) => k !== 'info').reduce((s, [, v]) => s + v, 0);

async function joined(node: number, room: string, name: string, resume?: string, token?: string): Promise<{ client: TestClient; result: JoinResult; ms: number }> {
  const client = await TestClient.connect(cluster.nodes[node]!.wsUrl);
  const t0 = performance.now();
  const res = await client.request({ type: 'join', token: token ?? signedToken({ room, name, identity: name }), room, ...(resume ? { resume } : {}) });
  if (!res.ok) throw new Error(`join failed: ${JSON.stringify(res.error)}`);
  return { client, result: res.result as JoinResult, ms: performance.now() - t0 };
}

let result: Record<string, unknown>;
try {
  // Background traffic (heartbeats, lease renewals) over the same window length.
  // Heartbeats and lease renewals run every NODE_TTL/4: average them over 6 s and scale.
  const windowMs = 300;
  let before = await commandCounts();
  await new Promise((r) => setTimeout(r, 6000));
  const background = Math.round(((total(diff(await commandCounts(), before)) - 1) * windowMs) / 6000);

  const ownerJoins: Record<string, number>[] = [];
  const relayedJoins: Record<string, number>[] = [];
  const resumeMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const room = `measure-${i}`;
    before = await commandCounts();
    const a = await joined(0, room, `a${i}`);
    await new Promise((r) => setTimeout(r, windowMs - a.ms));
    ownerJoins.push(diff(await commandCounts(), before));

    before = await commandCounts();
    const bToken = signedToken({ room, name: `b${i}`, identity: `b${i}` });
    const b = await joined(1, room, `b${i}`, undefined, bToken);
    await new Promise((r) => setTimeout(r, windowMs - b.ms));
    relayedJoins.push(diff(await commandCounts(), before));

    // Resume: b's socket vanishes; a new one on node 0 continues as b.
    b.client.terminate();
    await b.client.closed;
    const again = await joined(0, room, `b${i}`, b.result.resumeToken, bToken);
    if (!again.result.resumed) throw new Error('resume failed');
    resumeMs.push(again.ms);
    again.client.terminate();
    a.client.terminate();
  }
  const perJoin = (list: Record<string, number>[]): number => median(list.map((d) => total(d) - background));
  result = {
    date: new Date().toISOString(),
    runs,
    backgroundCommandsPerWindow: background,
    windowMs,
    redisCommandsPerJoinOnOwner: perJoin(ownerJoins),
    redisCommandsPerRelayedJoin: perJoin(relayedJoins),
    ownerJoinCommandBreakdown: ownerJoins[0],
    relayedJoinCommandBreakdown: relayedJoins[0],
    resumeMsMedian: median(resumeMs),
    resumeMs,
  };
} finally {
  await redis.quit();
  await cluster.stop();
}
const all = { ...result, failover: await measureFailover(kills) };
console.log(JSON.stringify(all, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cluster.json', JSON.stringify(all, null, 2) + '\n');

/** Kill -9 of the room's owner, `count` times, each in a fresh room; a new node replaces each victim. */
async function measureFailover(count: number): Promise<{ settings: Record<string, string>; recoveredMs: number[]; medianMs: number }> {
  // The defaults, not the tests' short TTLs: this is what an operator gets.
  const settings = { NODE_TTL_MS: '5000', LEASE_TTL_MS: '5000', LOG_LEVEL: 'warn' };
  const nodes = await startCluster(3, settings, { spawnRedis: true });
  const alive = (): number[] => nodes.nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null).map((n) => n.port);
  const lb = await startLoadBalancer(alive);
  const browser = await launchChromium();
  const state = createClient({ url: nodes.redis.url });
  await state.connect();
  const recoveredMs: number[] = [];
  // startCluster names its nodes node-1, node-2, ...
  const byId = new Map(nodes.nodes.map((n, i) => [`node-${i + 1}`, n]));
  try {
    for (let i = 0; i < count; i++) {
      const room = `failover-${i}`;
      const pages = [await openCall(browser, lb.url, room, 'A'), await openCall(browser, lb.url, room, 'B')];
      for (const page of pages) await decodesEveryone(page, 1, 20_000);
      const owner = await state.get(`rtc:room:${room}:owner`);
      const victim = owner === null ? undefined : byId.get(owner);
      if (!victim) throw new Error(`owner ${owner} of ${room} is not among the running nodes`);
      const killedAt = performance.now();
      victim.process.kill('SIGKILL');
      for (const page of pages) await decodesEveryone(page, 1, 30_000);
      const ms = Math.round(performance.now() - killedAt);
      recoveredMs.push(ms);
      process.stderr.write(`failover ${i + 1}/${count}: both pages decoding again ${ms} ms after kill -9 of ${owner}\n`);
      await Promise.all(pages.map((p) => p.context().close()));
      byId.delete(owner!);
      const replacement = await startServer({ REDIS_URL: nodes.redis.url, NODE_ID: `node-r${i + 1}`, ...settings });
      nodes.nodes.push(replacement);
      byId.set(`node-r${i + 1}`, replacement);
    }
  } finally {
    await state.quit().catch(() => undefined);
    await browser.close();
    await lb.close();
    await nodes.stop();
  }
  return { settings, recoveredMs, medianMs: median(recoveredMs) };
}
