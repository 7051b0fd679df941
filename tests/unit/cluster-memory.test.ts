// The single-node shape of shared state: in-process maps that behave like Redis. Two
// MemoryClusterState instances on one MemoryBackend play two nodes; time is a number
// the test moves, so TTL scenarios take no real time.
import { describe, expect, it } from 'vitest';
import { MemoryBackend, MemoryClusterState } from '../../signaling/cluster/memoryState.js';
import { createClusterState } from '../../signaling/cluster/state.js';
import { describeClusterContract, TTL } from '../helpers/clusterContract.js';

function twoNodes() {
  let now = 1_000_000;
  const backend = new MemoryBackend(() => now);
  const a = new MemoryClusterState(backend, { nodeId: 'node-a' });
  const b = new MemoryClusterState(backend, { nodeId: 'node-b' });
  return {
    backend,
    a,
    b,
    async elapse(ms: number) {
      now += ms;
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

describeClusterContract('memory, two nodes on one backend', async () => twoNodes());

describe('MemoryClusterState', () => {
  it('is what createClusterState returns when no Redis URL is configured', async () => {
    const state = await createClusterState({});
    expect(state.kind).toBe('memory');
    expect(state.healthy()).toBe(true);
    await state.close();
  });

  it('leaves no timer or immediate running, during use or after close', async () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const before = handles();
    const { a, b, close } = twoNodes();
    await a.leases.acquire('r', 'node-a', TTL);
    await a.roster.put('r', { participantId: 'p', identity: 'i', name: 'n', edgeNodeId: 'node-a', joinedAt: 0 }, TTL);
    await a.resume.put('t', { room: 'r', participantId: 'p', identity: 'i', name: 'n' }, TTL);
    await b.bus.subscribe('c', () => undefined);
    await a.bus.publish('c', 'x');
    expect(handles()).toBe(before);
    await close();
    expect(handles()).toBe(before);
  });

  it('closing a node ends its subscriptions but keeps the shared data for the others', async () => {
    const { backend, a, b, close } = twoNodes();
    await a.bus.subscribe('c', () => undefined);
    await a.leases.acquire('r', 'node-a', TTL);
    await a.close();
    expect(backend.bus.listenerCount('c')).toBe(0);
    expect(await b.leases.owner('r')).toBe('node-a');
    await close();
  });

  it('hands out copies, so a caller mutating a result cannot change the store', async () => {
    const { a, b, close } = twoNodes();
    await a.resume.put('t', { room: 'r', participantId: 'p', identity: 'i', name: 'n' }, TTL);
    const record = await b.resume.get('t');
    if (record) record.room = 'elsewhere';
    expect((await a.resume.get('t'))?.room).toBe('r');
    await close();
  });

  it('forgets a room’s roster entirely once its last entry is gone', async () => {
    const { backend, a, elapse, close } = twoNodes();
    await a.roster.put('r', { participantId: 'p', identity: 'i', name: 'n', edgeNodeId: 'node-a', joinedAt: 0 }, TTL);
    await elapse(TTL);
    expect(await a.roster.list('r')).toEqual([]);
    expect(backend.rosters.has('r')).toBe(false);
    await close();
  });
});
