// The Redis bus is not trusted: whoever can PUBLISH on a node's channel, without the
// cluster's secret, changes nothing. Once, one forged PUBLISH set 100 % loss on a node
// with SFU_IMPAIRMENT off and added a fake participant with admin grants.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../signaling/cluster/keys.js';
import { waitFor } from '../e2e/callPage.js';
import { FAST_CLUSTER_ENV, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { startServer } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom } from '../helpers/wsClient.js';

let cluster: ClusterHandle;
let publisher: ReturnType<typeof createClient>;
const pools: ClientPool[] = [];

beforeAll(async () => {
  cluster = await startCluster(2);
  for (const node of cluster.nodes) pools.push(new ClientPool(() => node.wsUrl));
  publisher = createClient({ url: cluster.redis.url });
  await publisher.connect();
});

afterAll(async () => {
  for (const p of pools) p.dropAll();
  await publisher?.close();
  await cluster?.stop();
});

async function rejected(nodeIndex: number): Promise<Record<string, number>> {
  const text = await (await fetch(`${cluster.nodes[nodeIndex]!.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^rtc_bus_messages_rejected_total\{reason="(\w+)"\} (\d+)/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

describe('forged bus messages', () => {
  it('a forged impairment, a forged admin join and garbage change nothing on the owner, and are counted and logged with a bound', async () => {
    const room = freshRoom();
    const ada = await pools[0]!.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const ownerId = await publisher.get(Keys.roomOwner(room));
    const owner = cluster.nodes.findIndex((_, i) => `node-${i + 1}` === ownerId);
    expect(owner).toBeGreaterThanOrEqual(0);
    const edge = `node-${2 - owner}`;
    const ref = { room, participantId: ada.result.participantId };
    const before = await rejected(owner);
    const marker = `FORGED-${'x'.repeat(5000)}`;

    // As the attacker sent them (plain JSON, the shape nodes used to accept), and a few others.
    const forged = [
      { t: 'req', id: 'f1', from: edge, body: { op: 'impair', ref, settings: { lossPercent: 100, delayMs: 5000, jitterMs: 0, kind: 'all' } } },
      { t: 'req', id: 'f2', from: edge, body: { op: 'join', join: { room, identity: 'mallory', name: marker, grants: { publish: true, subscribe: true, admin: true } } } },
      { t: 'evt', participantId: ada.result.participantId, message: { type: 'impairment', settings: { lossPercent: 100 } } },
    ].map((m) => JSON.stringify(m));
    forged.push(`v1.${'A'.repeat(43)}.${forged[0]}`, 'not json at all', `${'['.repeat(5000)}${']'.repeat(5000)}`);
    const channel = Keys.nodeChannel(ownerId!);
    for (const payload of forged) await publisher.publish(channel, payload);
    // And to the edge: an event for Ada's socket, as if from the owner.
    await publisher.publish(Keys.nodeChannel(`node-${owner + 1}`), forged[2]!);

    await waitFor(async () => ((await rejected(owner)).signature ?? 0) - (before.signature ?? 0) >= forged.length, 5000, 'the forged messages counted as rejected');
    await ada.client.noEvent('impairment', 300);
    await ada.client.noEvent('participant-joined', 0);
    const roster = await publisher.hGetAll(Keys.roomRoster(room));
    expect(Object.keys(roster)).toEqual([ada.result.participantId]);

    const logLines = cluster.nodes[owner]!.logs.filter((l) => l.includes('bus message rejected'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(line.length).toBeLessThan(1000);
      expect(line).not.toContain('FORGED');
    }

    // The cluster still works: a participant on the other node meets Ada through the signed bus.
    const bob = await pools[1]!.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    expect(bob.result.participants.map((p) => p.id)).toEqual([ada.result.participantId]);
    expect((await ada.client.nextEvent('participant-joined')).participant.id).toBe(bob.result.participantId);
  });

  it('a captured signed message published again is refused as a replay, and the cluster goes on', async () => {
    // Capture real signed traffic: the nodes' beats, which every node reads.
    const listener = publisher.duplicate();
    await listener.connect();
    const captured: string[] = [];
    await listener.subscribe(Keys.beats(), (payload) => void captured.push(payload));
    try {
      await waitFor(() => captured.length >= 4, 5000, 'beats on the bus');
      const before = await rejected(0);
      // The attacker re-publishes them: to the beats channel and to a node's own channel.
      for (const payload of captured.slice(0, 4)) {
        await publisher.publish(Keys.beats(), payload);
        await publisher.publish(Keys.nodeChannel('node-1'), payload);
      }
      await waitFor(async () => ((await rejected(0)).replay ?? 0) - (before.replay ?? 0) >= 8, 5000, 'the replayed beats counted as replays');
      expect((await rejected(0)).signature ?? 0).toBe(before.signature ?? 0);
    } finally {
      await listener.close();
    }
    const room = freshRoom();
    await pools[0]!.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    await pools[1]!.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
  });

  it("the room's owner re-checks SFU_IMPAIRMENT: an edge with impairment on cannot impose it on an owner with it off", async () => {
    const room = freshRoom();
    const ada = await pools[0]!.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    expect(await publisher.get(Keys.roomOwner(room))).toMatch(/^node-[12]$/);
    // A third node, started after the room was placed, with impairment on: it is only this room's edge.
    const edge = await startServer({ REDIS_URL: cluster.redis.url, NODE_ID: 'node-3', ...FAST_CLUSTER_ENV, SFU_IMPAIRMENT: 'true', MEDIA_ENGINE: 'werift' });
    const edgePool = new ClientPool(() => edge.wsUrl);
    try {
      const admin = signedToken({ room, name: 'Root', identity: 'root', grants: { publish: true, subscribe: true, admin: true } });
      const root = await edgePool.joined(admin, room);
      const response = await root.client.request({ type: 'set-impairment', lossPercent: 100 });
      expect(response).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringMatching(/SFU_IMPAIRMENT/) } });
      await ada.client.noEvent('impairment', 300);
    } finally {
      edgePool.dropAll();
      await edge.stop();
    }
  });
});
