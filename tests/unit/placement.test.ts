// Where a room goes: to the least loaded live node that takes rooms; a lease moves only from
// a peer known dead, never from one that is only paused.
import { afterEach, describe, expect, it } from 'vitest';
import { Placement, pickLeastLoaded, type PeerJudge, type PlacementOptions } from '../../signaling/cluster/placement.js';
import type { ClusterState, NodeInfo } from '../../signaling/cluster/types.js';
import { createLogger } from '../../signaling/log.js';
import { beatFor, DEAD_AFTER_MS, livenessOf, memoryCluster } from '../helpers/memoryCluster.js';

const LEASE_TTL = 5000;
const NODE_TTL = 60_000;

let cluster: ReturnType<typeof memoryCluster>;

afterEach(async () => {
  await cluster.close();
});

function node(id: string, load: Partial<NodeInfo> = {}): NodeInfo {
  return { id, signalingUrl: `http://${id}`, mediaAddress: '127.0.0.1', participants: 0, cpu: 0, acceptingRooms: true, heartbeatAt: 0, ...load };
}

const everyoneLive: PeerJudge = { isSilent: () => false, isDead: () => false };

function placementOn(state: ClusterState, peers: PeerJudge = everyoneLive, options: Partial<PlacementOptions> = {}): Placement {
  return new Placement(state, peers, { nodeId: 'a', leaseTtlMs: LEASE_TTL, nodeTtlMs: NODE_TTL, accepting: () => true, healthySince: () => Number.NEGATIVE_INFINITY, now: cluster.now, ...options }, createLogger('silent'));
}

async function register(state: ClusterState, ...nodes: NodeInfo[]): Promise<void> {
  for (const n of nodes) await state.nodes.heartbeat(n, NODE_TTL);
}

describe('Placement', () => {
  it('places a new room on the least loaded live node and records its lease', async () => {
    cluster = memoryCluster();
    const state = cluster.state('a');
    await register(state, node('a', { participants: 9 }), node('b', { participants: 2 }), node('c', { participants: 5 }));
    expect(await placementOn(state).placeRoom('room-1')).toBe('b');
    expect(await state.leases.owner('room-1')).toBe('b');
  });

  it('a room already leased to a live node stays there, however loaded', async () => {
    cluster = memoryCluster();
    const state = cluster.state('a');
    await register(state, node('a'), node('b', { participants: 99 }));
    await state.leases.acquire('room-1', 'b', LEASE_TTL);
    expect(await placementOn(state).placeRoom('room-1')).toBe('b');
  });

  it('a draining node, and a silent one, take no new room', async () => {
    cluster = memoryCluster();
    const state = cluster.state('a');
    await register(state, node('a', { participants: 9 }), node('draining', { acceptingRooms: false }), node('silent'));
    const peers: PeerJudge = { isSilent: (id) => id === 'silent', isDead: () => false };
    expect(await placementOn(state, peers).placeRoom('room-1')).toBe('a');
  });

  it('with nobody registered, a node that takes rooms places the room on itself; a draining one refuses', async () => {
    cluster = memoryCluster();
    const state = cluster.state('a');
    await expect(placementOn(state, everyoneLive, { accepting: () => false }).placeRoom('room-2')).rejects.toThrow('no node accepts rooms');
    expect(await placementOn(state).placeRoom('room-3')).toBe('a');
  });

  it('a lease held by a node the registry no longer lists is waited out, then the room moves', async () => {
    cluster = memoryCluster();
    const state = cluster.state('a');
    await register(state, node('a'));
    await state.leases.acquire('room-1', 'ghost', LEASE_TTL);
    const placing = placementOn(state).placeRoom('room-1');
    let placed: string | undefined;
    void placing.then((owner) => (placed = owner));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(placed).toBeUndefined();
    cluster.elapse(LEASE_TTL);
    expect(await placing).toBe('a');
  });

  it('a lease is taken over at once from a peer known dead (silent, connections gone)', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a');
    const b = livenessOf(cluster, 'b');
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await register(a.state, node('a', { participants: 50 }), node('b'));
    await a.state.leases.acquire('room-1', 'b', LEASE_TTL);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await b.state.close();
    await beatFor(cluster, [a.liveness], DEAD_AFTER_MS + 250);
    expect(await placementOn(a.state, a.liveness).placeRoom('room-1')).toBe('a');
    expect(await a.state.leases.owner('room-1')).toBe('a');
  });

  it('a lease is not taken from a peer that is only paused (silent, still connected)', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a');
    const b = livenessOf(cluster, 'b');
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await register(a.state, node('a'), node('b'));
    await a.state.leases.acquire('room-1', 'b', LEASE_TTL);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await beatFor(cluster, [a.liveness], DEAD_AFTER_MS + 250);
    expect(a.liveness.isSilent('b')).toBe(true);
    expect(await placementOn(a.state, a.liveness).placeRoom('room-1')).toBe('b');
    expect(await a.state.leases.owner('room-1')).toBe('b');
  });
});

describe('pickLeastLoaded', () => {
  it('picks fewest participants, then least CPU, then the lowest id, so every node picks alike', () => {
    expect(pickLeastLoaded([node('x', { participants: 3 }), node('y', { participants: 1, cpu: 0.9 })])).toBe('y');
    expect(pickLeastLoaded([node('x', { participants: 1, cpu: 0.5 }), node('y', { participants: 1, cpu: 0.2 })])).toBe('y');
    expect(pickLeastLoaded([node('y'), node('x')])).toBe('x');
    expect(pickLeastLoaded([])).toBeUndefined();
  });
});
