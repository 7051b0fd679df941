// Signaling across nodes sharing one Redis: people in the same room meet whichever node
// their socket landed on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../helpers/redis.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom } from '../helpers/wsClient.js';

let cluster: ClusterHandle;
const pools: ClientPool[] = [];
const on = (i: number): ClientPool => pools[i]!;

beforeAll(async () => {
  cluster = await startCluster(3, { RESUME_GRACE_MS: '1000' });
  for (const node of cluster.nodes) pools.push(new ClientPool(() => node.wsUrl));
});

afterAll(async () => {
  for (const p of pools) p.dropAll();
  await cluster?.stop();
});

describe('signaling across three nodes', () => {
  it('participants on different nodes see each other join, change and leave', async () => {
    const room = freshRoom();
    const ada = await on(0).joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bob = await on(1).joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    expect(bob.result.participants.map((p) => p.id)).toEqual([ada.result.participantId]);
    expect((await ada.client.nextEvent('participant-joined')).participant.id).toBe(bob.result.participantId);

    const cy = await on(2).joined(signedToken({ room, name: 'Cy', identity: 'cy' }), room);
    expect(cy.result.participants.map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
    await ada.client.nextEvent('participant-joined');
    await bob.client.nextEvent('participant-joined');

    await bob.client.request({ type: 'mute', kind: 'video', muted: true });
    for (const c of [ada.client, cy.client]) {
      expect((await c.nextEvent('participant-updated')).participant).toMatchObject({ id: bob.result.participantId, muted: { video: true } });
    }

    await cy.client.request({ type: 'leave' });
    for (const c of [ada.client, bob.client]) {
      expect(await c.nextEvent('participant-left')).toMatchObject({ participantId: cy.result.participantId, reason: 'left' });
    }
  });

  it('a participant dropped on one node resumes on another; nobody sees a leave or a join', async () => {
    const room = freshRoom();
    const ada = await on(0).joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bobToken = signedToken({ room, name: 'Bob', identity: 'bob' });
    const bob = await on(1).joined(bobToken, room);
    await ada.client.nextEvent('participant-joined');

    bob.client.terminate();
    await bob.client.closed;
    const again = await on(2).connect();
    const resumed = await again.request({ type: 'join', token: bobToken, room, resume: bob.result.resumeToken });
    expect(resumed).toMatchObject({ ok: true, result: { participantId: bob.result.participantId, resumed: true } });
    await ada.client.noEvent('participant-left', 1500);
    await ada.client.noEvent('participant-joined', 0);
    await again.request({ type: 'mute', kind: 'audio', muted: true });
    expect((await ada.client.nextEvent('participant-updated')).participant.id).toBe(bob.result.participantId);
  });

  it('after everyone leaves and the grace periods pass, Redis holds only the live nodes', async () => {
    for (const p of pools) p.dropAll(); // the earlier tests' participants vanish too
    const room = freshRoom();
    const ada = await on(0).joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bob = await on(1).joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    await ada.client.request({ type: 'leave' });
    bob.client.terminate(); // vanishes: gone only after the grace period
    await ada.client.closed;
    const deadline = Date.now() + 10_000;
    let keys: string[] = [];
    for (;;) {
      keys = await redisKeys(cluster.redis.url);
      if (keys.every((k) => k === 'rtc:nodes' || /^rtc:node:node-\d:alive$/.test(k))) break;
      if (Date.now() > deadline) throw new Error(`keys left: ${keys.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toContain('rtc:nodes');
  });
});
