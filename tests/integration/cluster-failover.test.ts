// Owner death judged from beats on the bus (signaling/cluster/liveness.ts), with the default
// registry and lease TTLs of 5 s: a killed owner's rooms move within about a second, while a
// Redis that hangs for longer than that, or an owner paused for longer than that, moves nothing.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom, type TestClient } from '../helpers/wsClient.js';
import { CloseCode } from '../../signaling/protocol.js';

const DEFAULT_TTLS = { NODE_TTL_MS: '5000', LEASE_TTL_MS: '5000' };

let cluster: ClusterHandle;
const pools: ClientPool[] = [];

beforeAll(async () => {
  // Its own Redis: one test pauses it.
  cluster = await startCluster(3, DEFAULT_TTLS, { spawnRedis: true });
  for (const node of cluster.nodes) pools.push(new ClientPool(() => node.wsUrl));
});

afterAll(async () => {
  for (const p of pools) p.dropAll();
  await cluster?.stop();
});

async function ownerOf(room: string): Promise<string | null> {
  const client = createClient({ url: cluster.redis.url });
  await client.connect();
  try {
    return await client.get(`rtc:room:${room}:owner`);
  } finally {
    await client.quit();
  }
}

/** Index of a running node other than `nodeId` (startCluster names them node-1, node-2, ...). */
function otherThan(...nodeIds: string[]): number {
  const index = cluster.nodes.findIndex((n, i) => !nodeIds.includes(`node-${i + 1}`) && n.process.exitCode === null && n.process.signalCode === null);
  if (index < 0) throw new Error('no other running node');
  return index;
}

/** A room with one member whose socket is on a node that does not own it. */
async function relayedMember(): Promise<{ room: string; owner: string; edge: number; member: TestClient; token: string }> {
  const room = freshRoom('failover');
  await pools[0]!.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
  const owner = (await ownerOf(room))!;
  expect(owner).toMatch(/^node-\d$/);
  const edge = otherThan(owner);
  const token = signedToken({ room, name: 'Bob', identity: 'bob' });
  const { client } = await pools[edge]!.joined(token, room);
  return { room, owner, edge, member: client, token };
}

describe('failover judged from beats', () => {
  it('a Redis that hangs for 3 s (longer than NODE_DEAD_AFTER_MS) moves no room', async () => {
    const { member } = await relayedMember();
    await cluster.redis.pause(3000);
    const closed = await Promise.race([member.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 2000))]);
    expect(closed).toBe('open');
  });

  it('a Redis that is down for 3 s and comes back empty moves no room', async () => {
    const { member } = await relayedMember();
    await cluster.redis.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.redis.restart();
    // Nodes notice Redis is back, and would act on a wrong verdict, within a beat or two.
    const closed = await Promise.race([member.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 2000))]);
    expect(closed).toBe('open');
  });

  it("an owner paused for 3 s (SIGSTOP: a long GC pause, a starved machine) keeps its room: silent on the bus, it still holds its Redis connections", async () => {
    const { room, owner, member } = await relayedMember();
    const paused = cluster.nodes[Number(owner.slice('node-'.length)) - 1]!;
    paused.process.kill('SIGSTOP');
    try {
      // Three times NODE_DEAD_AFTER_MS, and less than NODE_TTL_MS, after which the registry would judge it.
      const during = await Promise.race([member.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 3000))]);
      expect(during).toBe('open');
    } finally {
      paused.process.kill('SIGCONT');
    }
    // Awake again, it renews its lease; nobody took the room meanwhile.
    const after = await Promise.race([member.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 1500))]);
    expect(after).toBe('open');
    expect(await ownerOf(room)).toBe(owner);
    // And it serves the room: a relayed request reaches it and comes back.
    const reply = await member.request({ type: 'chat', text: 'still here' });
    expect(reply.ok).toBe(true);
  });

  it("kill -9 of a room's owner: its relayed members hear the room moved within 3 s, and join again at once", async () => {
    const { room, owner, edge, member, token } = await relayedMember();
    const victim = cluster.nodes[Number(owner.slice('node-'.length)) - 1]!;
    const killedAt = performance.now();
    victim.process.kill('SIGKILL');

    const closed = await member.closed;
    const movedAfterMs = performance.now() - killedAt;
    expect(closed.code).toBe(CloseCode.RoomMoved);
    // NODE_DEAD_AFTER_MS is 1 s; the registry and lease TTLs (5 s each) would take 5-10 s.
    expect(movedAfterMs).toBeLessThan(3000);

    const joinStarted = performance.now();
    const again = await pools[edge]!.joined(token, room);
    const joinMs = performance.now() - joinStarted;
    expect(again.result.room).toBe(room);
    // The dead owner's lease was handed over, not waited out.
    expect(joinMs).toBeLessThan(1500);
    const newOwner = await ownerOf(room);
    expect(newOwner).not.toBe(owner);
    expect(newOwner).toMatch(/^node-\d$/);
    process.stdout.write(`failover: moved ${Math.round(movedAfterMs)} ms after the kill, joined again in ${Math.round(joinMs)} ms on ${newOwner}\n`);
  });
});
