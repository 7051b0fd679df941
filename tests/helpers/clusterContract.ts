// What every ClusterState must do, written once and run against each deployment shape:
// in-process memory (unit tests, a moved clock) and two nodes sharing a real Redis
// (integration tests, real time). Two states `a` and `b` play two nodes of one cluster.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterErrorCode } from '../../signaling/cluster/errors.js';
import type { ClusterState, NodeInfo, RosterEntry } from '../../signaling/cluster/types.js';

export interface ClusterFixture {
  a: ClusterState;
  b: ClusterState;
  /** Lets ms pass for TTLs: moves a fake clock, or really waits. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** TTLs short enough that real waiting stays cheap, long enough to be reliable. */
export const TTL = 400;

export function nodeInfo(id: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    signalingUrl: `http://${id}.test:8080`,
    mediaAddress: '127.0.0.1',
    participants: 0,
    cpu: 0.1,
    acceptingRooms: true,
    heartbeatAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function rosterEntry(participantId: string, edgeNodeId = 'node-a'): RosterEntry {
  return { participantId, identity: `user-${participantId}`, name: participantId.toUpperCase(), edgeNodeId, joinedAt: 1_700_000_000_123 };
}

/** Resolves with the next `count` payloads a subscription receives. */
export async function collect(state: ClusterState, channel: string, count: number) {
  const payloads: string[] = [];
  let done: (payloads: string[]) => void = () => undefined;
  const all = new Promise<string[]>((resolve) => (done = resolve));
  const unsubscribe = await state.bus.subscribe(channel, (payload) => {
    payloads.push(payload);
    if (payloads.length === count) done(payloads);
  });
  return { payloads, all, unsubscribe };
}

const byId = <T extends { id: string }>(items: T[]): T[] => [...items].sort((x, y) => x.id.localeCompare(y.id));

export function describeClusterContract(shape: string, setup: () => Promise<ClusterFixture>): void {
  describe(`ClusterState contract (${shape})`, () => {
    let fx: ClusterFixture;
    beforeEach(async () => {
      fx = await setup();
    });
    afterEach(async () => {
      await fx.close();
    });

    describe('room leases', () => {
      it('of 20 concurrent acquires from two nodes exactly one node wins, and all 20 name it', async () => {
        const attempts = Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0 ? fx.a.leases.acquire('race', 'node-a', TTL) : fx.b.leases.acquire('race', 'node-b', TTL),
        );
        const owners = new Set(await Promise.all(attempts));
        expect(owners.size).toBe(1);
        const [winner] = owners;
        expect(['node-a', 'node-b']).toContain(winner);
        expect(await fx.b.leases.owner('race')).toBe(winner);
      });

      it('the owner acquiring again keeps the room and extends the lease', async () => {
        expect(await fx.a.leases.acquire('r', 'node-a', TTL)).toBe('node-a');
        await fx.elapse(TTL * 0.6);
        expect(await fx.a.leases.acquire('r', 'node-a', TTL)).toBe('node-a');
        await fx.elapse(TTL * 0.6);
        expect(await fx.b.leases.acquire('r', 'node-b', TTL)).toBe('node-a');
      });

      it('renew extends the holder’s lease past its first expiry', async () => {
        await fx.a.leases.acquire('r', 'node-a', TTL);
        await fx.elapse(TTL * 0.6);
        expect(await fx.a.leases.renew('r', 'node-a', TTL)).toBe(true);
        await fx.elapse(TTL * 0.6);
        expect(await fx.b.leases.owner('r')).toBe('node-a');
        expect(await fx.b.leases.renew('r', 'node-b', TTL)).toBe(false);
      });

      it('after a lease expires another node takes the room, and the old owner’s renew fails', async () => {
        await fx.a.leases.acquire('r', 'node-a', TTL);
        await fx.elapse(TTL + 100);
        expect(await fx.a.leases.owner('r')).toBeUndefined();
        expect(await fx.b.leases.acquire('r', 'node-b', TTL)).toBe('node-b');
        expect(await fx.a.leases.renew('r', 'node-a', TTL)).toBe(false);
        expect(await fx.a.leases.owner('r')).toBe('node-b');
      });

      it('release by another node leaves the lease alone; release by the owner frees the room', async () => {
        await fx.a.leases.acquire('r', 'node-a', TTL);
        await fx.b.leases.release('r', 'node-b');
        expect(await fx.b.leases.owner('r')).toBe('node-a');
        await fx.a.leases.release('r', 'node-a');
        expect(await fx.b.leases.owner('r')).toBeUndefined();
        expect(await fx.b.leases.acquire('r', 'node-b', TTL)).toBe('node-b');
      });

      it('rejects a TTL Redis could not take', async () => {
        await expect(fx.a.leases.acquire('r', 'node-a', 0)).rejects.toThrow(RangeError);
        await expect(fx.a.leases.acquire('r', 'node-a', 1.5)).rejects.toThrow(RangeError);
      });
    });

    describe('node registry', () => {
      it('every node sees every live node, with what it last said about itself', async () => {
        await fx.a.nodes.heartbeat(nodeInfo('node-a'), TTL);
        await fx.b.nodes.heartbeat(nodeInfo('node-b'), TTL);
        await fx.b.nodes.heartbeat(nodeInfo('node-b', { participants: 7, acceptingRooms: false }), TTL);
        expect(byId(await fx.a.nodes.list())).toEqual([nodeInfo('node-a'), nodeInfo('node-b', { participants: 7, acceptingRooms: false })]);
        expect(await fx.a.nodes.get('node-b')).toEqual(nodeInfo('node-b', { participants: 7, acceptingRooms: false }));
        expect(await fx.a.nodes.get('node-z')).toBeUndefined();
      });

      it('a node that stops heartbeating drops out within its TTL while the others stay', async () => {
        await fx.a.nodes.heartbeat(nodeInfo('node-a'), TTL);
        await fx.b.nodes.heartbeat(nodeInfo('node-b'), TTL);
        await fx.elapse(TTL * 0.6);
        await fx.a.nodes.heartbeat(nodeInfo('node-a'), TTL);
        await fx.elapse(TTL * 0.6);
        expect((await fx.a.nodes.list()).map((n) => n.id)).toEqual(['node-a']);
        expect(await fx.a.nodes.get('node-b')).toBeUndefined();
        // It comes back by heartbeating again.
        await fx.b.nodes.heartbeat(nodeInfo('node-b'), TTL);
        expect(byId(await fx.a.nodes.list()).map((n) => n.id)).toEqual(['node-a', 'node-b']);
      });

      it("tells which nodes' processes hold connections to the store: a closed node's go at once, registered or not", async () => {
        await fx.b.nodes.heartbeat(nodeInfo('node-b'), TTL);
        expect([...((await fx.a.nodes.connected(['node-a', 'node-b', 'node-z'])) ?? [])].sort()).toEqual(['node-a', 'node-b']);
        await fx.b.close();
        // Still in the registry until its TTL runs out, but its process let go.
        expect((await fx.a.nodes.list()).map((n) => n.id)).toEqual(['node-b']);
        expect([...((await fx.a.nodes.connected(['node-a', 'node-b'])) ?? [])]).toEqual(['node-a']);
      });

      it('a node removed (drained and gone) disappears at once', async () => {
        await fx.a.nodes.heartbeat(nodeInfo('node-a'), TTL);
        await fx.b.nodes.heartbeat(nodeInfo('node-b'), TTL);
        await fx.b.nodes.remove('node-b');
        expect((await fx.a.nodes.list()).map((n) => n.id)).toEqual(['node-a']);
      });
    });

    describe('room roster', () => {
      it('lists who is in a room as any node recorded them, and forgets who left', async () => {
        await fx.a.roster.put('demo', rosterEntry('p1', 'node-a'), TTL);
        await fx.b.roster.put('demo', rosterEntry('p2', 'node-b'), TTL);
        await fx.b.roster.put('other', rosterEntry('p3', 'node-b'), TTL);
        expect(byPid(await fx.a.roster.list('demo'))).toEqual([rosterEntry('p1', 'node-a'), rosterEntry('p2', 'node-b')]);
        await fx.a.roster.remove('demo', 'p2');
        expect(await fx.b.roster.list('demo')).toEqual([rosterEntry('p1', 'node-a')]);
        await fx.a.roster.remove('demo', 'p1');
        expect(await fx.b.roster.list('demo')).toEqual([]);
        expect(await fx.b.roster.list('nobody-here')).toEqual([]);
      });

      it('an entry nobody refreshes expires even while the room’s other entries are refreshed', async () => {
        await fx.a.roster.put('demo', rosterEntry('kept', 'node-a'), TTL);
        await fx.b.roster.put('demo', rosterEntry('ghost', 'node-b'), TTL);
        await fx.elapse(TTL * 0.6);
        await fx.a.roster.put('demo', rosterEntry('kept', 'node-a'), TTL);
        await fx.elapse(TTL * 0.6);
        expect(await fx.b.roster.list('demo')).toEqual([rosterEntry('kept', 'node-a')]);
        await fx.elapse(TTL);
        expect(await fx.b.roster.list('demo')).toEqual([]);
      });
    });

    describe('resume tokens', () => {
      const record = { room: 'demo', participantId: 'p1', identity: 'ada', name: 'Ada' };

      it('a token stored on one node resumes on another, once', async () => {
        await fx.a.resume.put('tok-1', record, TTL);
        expect(await fx.b.resume.get('tok-1')).toEqual(record);
        await fx.b.resume.delete('tok-1');
        expect(await fx.a.resume.get('tok-1')).toBeUndefined();
      });

      it('a token expires after its TTL', async () => {
        await fx.a.resume.put('tok-2', record, TTL);
        await fx.elapse(TTL + 100);
        expect(await fx.b.resume.get('tok-2')).toBeUndefined();
      });

      it('extending tokens keeps them past their first TTL, unchanged; a deleted token stays gone', async () => {
        await fx.a.resume.put('tok-3', record, TTL);
        await fx.a.resume.put('tok-4', record, TTL);
        await fx.a.resume.delete('tok-4');
        await fx.elapse(TTL * 0.6);
        await fx.b.resume.extend(['tok-3', 'tok-4'], TTL);
        await fx.elapse(TTL * 0.6);
        expect(await fx.a.resume.get('tok-3')).toEqual(record);
        expect(await fx.a.resume.get('tok-4')).toBeUndefined();
        await fx.elapse(TTL);
        expect(await fx.b.resume.get('tok-3')).toBeUndefined();
      });
    });

    describe('chat history', () => {
      const message = (n: number) => ({ id: `m${n}`, participantId: 'p1', name: 'Ada', text: `line ${n}`, at: 1_000 + n });

      it('keeps the newest messages in order, as any node appended them', async () => {
        for (let n = 1; n <= 5; n++) await (n % 2 ? fx.a : fx.b).chat.append('room-c', message(n), 3, TTL);
        expect(await fx.b.chat.list('room-c')).toEqual([message(3), message(4), message(5)]);
        expect(await fx.a.chat.list('other-room')).toEqual([]);
      });

      it('a history nobody writes to expires after its TTL; a new message restarts it', async () => {
        await fx.a.chat.append('room-d', message(1), 10, TTL);
        await fx.elapse(TTL * 0.6);
        await fx.a.chat.append('room-d', message(2), 10, TTL);
        await fx.elapse(TTL * 0.6);
        expect(await fx.b.chat.list('room-d')).toEqual([message(1), message(2)]);
        await fx.elapse(TTL);
        expect(await fx.b.chat.list('room-d')).toEqual([]);
      });

      it('clearing a room forgets its history at once', async () => {
        await fx.a.chat.append('room-e', message(1), 10, TTL);
        await fx.b.chat.clear('room-e');
        expect(await fx.a.chat.list('room-e')).toEqual([]);
      });
    });

    describe('message bus', () => {
      it('a message published on one node reaches every subscriber on the others, never during publish', async () => {
        const first = await collect(fx.a, 'chan:1', 2);
        const second = await collect(fx.a, 'chan:1', 2);
        const published = fx.b.bus.publish('chan:1', '{"n":1}');
        expect(first.payloads).toEqual([]);
        await published;
        await fx.b.bus.publish('chan:1', '{"n":2}');
        expect(await first.all).toEqual(['{"n":1}', '{"n":2}']);
        expect(await second.all).toEqual(['{"n":1}', '{"n":2}']);
      });

      it('a handler that throws does not stop delivery to the others', async () => {
        await fx.a.bus.subscribe('chan:1', () => {
          throw new Error('handler bug');
        });
        const healthy = await collect(fx.a, 'chan:1', 2);
        await fx.b.bus.publish('chan:1', 'x');
        await fx.b.bus.publish('chan:1', 'y');
        expect(await healthy.all).toEqual(['x', 'y']);
      });

      it('after unsubscribing a handler hears nothing more, and other channels are untouched', async () => {
        const gone = await collect(fx.a, 'chan:gone', 1);
        const marker = await collect(fx.a, 'chan:marker', 1);
        await gone.unsubscribe();
        await gone.unsubscribe();
        await fx.b.bus.publish('chan:gone', 'late');
        // Messages from one publisher arrive in order, so once the marker is here the
        // late message would have been too.
        await fx.b.bus.publish('chan:marker', 'marker');
        expect(await marker.all).toEqual(['marker']);
        expect(gone.payloads).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('is healthy while open; after close every call fails with CLUSTER_CLOSED, and close is idempotent', async () => {
        expect(fx.a.healthy()).toBe(true);
        await fx.a.close();
        await fx.a.close();
        expect(fx.a.healthy()).toBe(false);
        const closed = { code: ClusterErrorCode.Closed };
        await expect(fx.a.leases.acquire('r', 'node-a', TTL)).rejects.toMatchObject(closed);
        await expect(fx.a.nodes.list()).rejects.toMatchObject(closed);
        await expect(fx.a.roster.list('r')).rejects.toMatchObject(closed);
        await expect(fx.a.resume.get('t')).rejects.toMatchObject(closed);
        await expect(fx.a.bus.publish('c', 'x')).rejects.toMatchObject(closed);
        await expect(fx.a.bus.subscribe('c', () => undefined)).rejects.toMatchObject(closed);
        // The other node is unaffected.
        expect(await fx.b.leases.acquire('r', 'node-b', TTL)).toBe('node-b');
      });
    });
  });
}

function byPid(entries: RosterEntry[]): RosterEntry[] {
  return [...entries].sort((x, y) => x.participantId.localeCompare(y.participantId));
}
