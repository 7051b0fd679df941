// Measures cluster mode on this machine and writes bench/results/cluster.json:
//  - Redis commands per join (INFO commandstats around one join on the owner node and one
//    relayed join from another node), with heartbeats' own traffic measured and removed;
//  - resume time: a dropped participant's new socket on another node, open to resumed.
// Usage: npm run build && npx tsx scripts/measure-cluster.ts [--runs 5]
import { writeFileSync } from 'node:fs';
import { createClient } from 'redis';
import { startCluster } from '../tests/helpers/cluster.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';
import type { JoinResult } from '../signaling/protocol.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
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
  const result = {
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
  console.log(JSON.stringify(result, null, 2));
  writeFileSync('bench/results/cluster.json', JSON.stringify(result, null, 2) + '\n');
} finally {
  await redis.quit();
  await cluster.stop();
}
