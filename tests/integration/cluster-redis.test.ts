// The several-node shape of shared state: two RedisClusterState instances ("two nodes")
// on one real redis-server. The shared contract runs here in real time; below it, what
// only Redis can show: the keys it writes, that nothing leaks, start-up failure, and a
// Redis outage that degrades service and recovers (subscriptions included).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { ClusterErrorCode } from '../../signaling/cluster/errors.js';
import { Keys } from '../../signaling/cluster/keys.js';
import { RedisClusterState } from '../../signaling/cluster/redisState.js';
import { createClusterState } from '../../signaling/cluster/state.js';
import type { ClusterState } from '../../signaling/cluster/types.js';
import { collect, describeClusterContract, nodeInfo, rosterEntry, TTL } from '../helpers/clusterContract.js';
import { redisKeys, startRedis, type RedisHandle } from '../helpers/redis.js';
import { freePort } from '../helpers/serverProcess.js';

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function twoNodes(url: string): Promise<[RedisClusterState, RedisClusterState]> {
  return Promise.all([RedisClusterState.connect(url, { nodeId: 'node-a' }), RedisClusterState.connect(url, { nodeId: 'node-b' })]);
}

const plainClient = (url: string) => createClient({ url });

/** Looks at what the cluster wrote, through a plain client of its own. */
async function inspect<T>(url: string, look: (client: ReturnType<typeof plainClient>) => Promise<T>): Promise<T> {
  const client = plainClient(url);
  await client.connect();
  try {
    return await look(client);
  } finally {
    await client.close();
  }
}

/** Every health change a state reports, and a way to wait for the next one to a value. */
function watchHealth(state: ClusterState) {
  const changes: boolean[] = [];
  const waiters: Array<{ value: boolean; resolve: () => void }> = [];
  state.onHealthChange((healthy) => {
    changes.push(healthy);
    for (const w of waiters.filter((w) => w.value === healthy)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    changes,
    becomes: (value: boolean) => new Promise<void>((resolve) => waiters.push({ value, resolve })),
  };
}

describeClusterContract('redis, two nodes on one server', async () => {
  await redis.flush();
  const [a, b] = await twoNodes(redis.url);
  return {
    a,
    b,
    elapse: async (ms) => void (await sleep(ms)),
    close: async () => void (await Promise.all([a.close(), b.close()])),
  };
});

describe('RedisClusterState', () => {
  let a: RedisClusterState;
  let b: RedisClusterState;
  beforeEach(async () => {
    await redis.flush();
    [a, b] = await twoNodes(redis.url);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('treats records that fail their schema as absent, and counts them', async () => {
    const rejected: string[] = [];
    const reader = await RedisClusterState.connect(redis.url, { onRecordRejected: (kind) => rejected.push(kind) });
    try {
      await a.nodes.heartbeat(nodeInfo('node-a'), TTL);
      await a.nodes.heartbeat(nodeInfo('node-b'), TTL);
      await a.roster.put('demo', rosterEntry('p1'), TTL);
      await a.roster.put('demo', rosterEntry('p2'), TTL);
      await a.resume.put('tok', { room: 'demo', participantId: 'p1', identity: 'ada', name: 'Ada' }, TTL);
      await a.chat.append('demo', { id: 'm1', participantId: 'p1', name: 'Ada', text: 'hi', at: 1 }, 10, TTL);
      // Whoever can write to Redis (or another release of the server) writes other shapes.
      await inspect(redis.url, async (c) => {
        await c.hSet(Keys.nodes(), 'node-b', JSON.stringify({ ...nodeInfo('node-b'), acceptingRooms: 'yes' }));
        await c.hSet(Keys.roomRoster('demo'), 'p2', JSON.stringify({ expiresAt: Date.now() + TTL, entry: { participantId: 'p2', name: '<b>'.repeat(100) } }));
        await c.set(Keys.resume('tok'), 'not json', { expiration: { type: 'PX', value: TTL } });
        await c.rPush(Keys.roomChat('demo'), JSON.stringify({ id: 'm2', participantId: 'p1', name: 'Ada', text: 'x'.repeat(5000), at: 2 }));
      });
      expect((await reader.nodes.list()).map((n) => n.id)).toEqual(['node-a']);
      expect(await reader.nodes.get('node-b')).toBeUndefined();
      expect((await reader.roster.list('demo')).map((e) => e.participantId)).toEqual(['p1']);
      expect(await reader.resume.get('tok')).toBeUndefined();
      expect((await reader.chat.list('demo')).map((m) => m.id)).toEqual(['m1']);
      expect(rejected.sort()).toEqual(['chat', 'node', 'node', 'resume', 'roster']);
    } finally {
      await reader.close();
    }
  });

  it('writes exactly the keys keys.ts names, with the TTLs asked for', async () => {
    await a.leases.acquire('demo', 'node-a', TTL);
    await a.nodes.heartbeat(nodeInfo('node-a'), TTL);
    await a.roster.put('demo', rosterEntry('p1'), TTL);
    await a.resume.put('tok', { room: 'demo', participantId: 'p1', identity: 'ada', name: 'Ada' }, TTL);
    await a.chat.append('demo', { id: 'm1', participantId: 'p1', name: 'Ada', text: 'hi', at: 1 }, 10, TTL);
    const seen = await inspect(redis.url, async (c) => ({
      owner: await c.get(Keys.roomOwner('demo')),
      ownerTtl: await c.pTTL(Keys.roomOwner('demo')),
      node: JSON.parse((await c.hGet(Keys.nodes(), 'node-a')) ?? 'null'),
      aliveTtl: await c.pTTL(Keys.nodeAlive('node-a')),
      rosterFields: await c.hKeys(Keys.roomRoster('demo')),
      rosterTtl: await c.pTTL(Keys.roomRoster('demo')),
      resumeTtl: await c.pTTL(Keys.resume('tok')),
      chatTtl: await c.pTTL(Keys.roomChat('demo')),
    }));
    expect(seen.owner).toBe('node-a');
    expect(seen.node).toEqual(nodeInfo('node-a'));
    expect(seen.rosterFields).toEqual(['p1']);
    for (const ttl of [seen.ownerTtl, seen.aliveTtl, seen.rosterTtl, seen.resumeTtl, seen.chatTtl]) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TTL);
    }
    expect(await redisKeys(redis.url)).toEqual(
      [Keys.nodeAlive('node-a'), Keys.nodes(), Keys.resume('tok'), Keys.roomChat('demo'), Keys.roomOwner('demo'), Keys.roomRoster('demo')].sort(),
    );
  });

  it('prunes a dead node from the registry hash when a list sees it dead', async () => {
    await a.nodes.heartbeat(nodeInfo('node-a'), 10_000);
    await b.nodes.heartbeat(nodeInfo('node-b'), TTL);
    await sleep(TTL + 100);
    expect((await a.nodes.list()).map((n) => n.id)).toEqual(['node-a']);
    expect(await inspect(redis.url, (c) => c.hKeys(Keys.nodes()))).toEqual(['node-a']);
  });

  it('after everything is released, only the live nodes’ registry keys and no subscriptions remain', async () => {
    await a.nodes.heartbeat(nodeInfo('node-a'), 10_000);
    await b.nodes.heartbeat(nodeInfo('node-b'), 10_000);
    for (const room of ['r1', 'r2', 'r3']) {
      const owner = await a.leases.acquire(room, 'node-a', 10_000);
      await b.roster.put(room, rosterEntry(`${room}-p`, 'node-b'), 10_000);
      await a.resume.put(`${room}-tok`, { room, participantId: `${room}-p`, identity: 'i', name: 'n' }, 10_000);
      await a.leases.release(room, owner);
      await b.roster.remove(room, `${room}-p`);
      await b.resume.delete(`${room}-tok`);
    }
    const sub = await collect(a, Keys.nodeChannel('node-a'), 1);
    await b.bus.publish(Keys.nodeChannel('node-a'), 'hello');
    await sub.all;
    await sub.unsubscribe();

    expect(await redisKeys(redis.url)).toEqual([Keys.nodeAlive('node-a'), Keys.nodeAlive('node-b'), Keys.nodes()].sort());
    expect(await inspect(redis.url, (c) => c.PUBSUB_CHANNELS('rtc:*'))).toEqual([]);
  });

  it('createClusterState connects to the Redis at the URL it is given', async () => {
    const state = await createClusterState({ redisUrl: redis.url });
    expect(state.kind).toBe('redis');
    expect(state.healthy()).toBe(true);
    await state.close();
  });

  it('createClusterState fails at start-up, naming REDIS_URL, when nothing answers', async () => {
    const started = Date.now();
    const unused = `redis://127.0.0.1:${await freePort()}`;
    await expect(createClusterState({ redisUrl: unused, connectTimeoutMs: 500 })).rejects.toThrow(
      /^REDIS_URL: could not connect to Redis at redis:\/\/127\.0\.0\.1:\d+ within 500 ms: .*ECONNREFUSED/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('RedisClusterState through a Redis outage', () => {
  // This server is killed and restarted, so it is always our own.
  let own: RedisHandle;
  let states: RedisClusterState[] = [];
  const connect = async (): Promise<RedisClusterState> => {
    const state = await RedisClusterState.connect(own.url);
    states.push(state);
    return state;
  };
  beforeAll(async () => {
    own = await startRedis({ spawn: true });
  });
  afterEach(async () => {
    await Promise.all(states.map((s) => s.close()));
    states = [];
    await own.restart(); // the next test starts with Redis up, whatever this one did
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('reports unhealthy and fails fast while Redis is down, then recovers with its subscriptions', async () => {
    const [a, b] = [await connect(), await connect()];
    const health = watchHealth(a);
    const bHealth = watchHealth(b);
    const kept = await collect(a, Keys.nodeChannel('node-a'), 1);
    const dropped = await collect(a, 'rtc:chan:dropped-during-outage', 1);

    const down = Promise.all([health.becomes(false), bHealth.becomes(false)]);
    await own.kill();
    await down;
    expect(a.healthy()).toBe(false);

    // Refused at once (not queued until Redis returns). Health turns false when either
    // connection notices, so the command connection may still be closing: its error is
    // then a closed socket rather than the client's offline refusal. Either way: 503-able.
    const unavailable = { code: ClusterErrorCode.Unavailable };
    const started = Date.now();
    await expect(a.leases.acquire('r', 'node-a', TTL)).rejects.toMatchObject(unavailable);
    await expect(a.nodes.heartbeat(nodeInfo('node-a'), TTL)).rejects.toMatchObject(unavailable);
    await expect(a.bus.publish('c', 'x')).rejects.toMatchObject(unavailable);
    // The subscriber connection may notice the outage a moment after the command one.
    await expect(a.bus.subscribe('c', () => undefined)).rejects.toMatchObject({ code: ClusterErrorCode.Unavailable });
    expect(Date.now() - started).toBeLessThan(1_000);
    // Ending a subscription during the outage works locally and is honoured on return.
    await dropped.unsubscribe();

    const up = Promise.all([health.becomes(true), bHealth.becomes(true)]);
    await own.restart();
    await up;
    expect(health.changes).toEqual([false, true]);

    // The subscription made before the outage hears messages again, with no help.
    await b.bus.publish('rtc:chan:dropped-during-outage', 'late');
    await b.bus.publish(Keys.nodeChannel('node-a'), 'after restart');
    expect(await kept.all).toEqual(['after restart']);
    expect(dropped.payloads).toEqual([]);
    // A round trip on the subscriber connection, so its queued UNSUBSCRIBE is done.
    const probe = await a.bus.subscribe('rtc:chan:probe', () => undefined);
    await probe();
    expect(await inspect(own.url, (c) => c.PUBSUB_CHANNELS('rtc:*'))).toEqual([Keys.nodeChannel('node-a')]);

    // Commands work again too.
    expect(await a.leases.acquire('r', 'node-a', TTL)).toBe('node-a');
  });

  it('can be closed while Redis is down', async () => {
    const state = await connect();
    const down = watchHealth(state).becomes(false);
    await own.kill();
    await down;
    await state.close();
    expect(state.healthy()).toBe(false);
  });
});
