// Requests between nodes over the bus: answers come back, refusals keep their protocol
// code, and a request never waits on a node known dead or past its timeout.
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayOp } from '../../signaling/cluster/busMessages.js';
import { BusRelay, type BusRelayOptions, type MemberMessage } from '../../signaling/cluster/busRelay.js';
import { Keys } from '../../signaling/cluster/keys.js';
import { PeerDeadError } from '../../signaling/cluster/relayErrors.js';
import { CodedError, GoneError } from '../../signaling/errors.js';
import { ErrorCode } from '../../signaling/protocol.js';
import { memoryCluster, settle } from '../helpers/memoryCluster.js';

const ref = { room: 'room-1', participantId: 'p-1' };
const rename: RelayOp = { op: 'rename', ref, name: 'Ada' };

let cluster: ReturnType<typeof memoryCluster>;
const relays: BusRelay[] = [];

afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await cluster.close();
});

async function relayOn(nodeId: string, options: Partial<BusRelayOptions> = {}): Promise<BusRelay> {
  const relay = new BusRelay(cluster.state(nodeId).bus, cluster.codec(), cluster.rejections(nodeId), {
    nodeId,
    requestTimeoutMs: 5000,
    handle: async () => undefined,
    onMemberMessage: () => undefined,
    ...options,
  });
  await relay.start();
  relays.push(relay);
  return relay;
}

describe('BusRelay', () => {
  it('a relayed request is answered by the other node’s handler, told who asked', async () => {
    cluster = memoryCluster();
    const asked: { from: string; body: RelayOp }[] = [];
    await relayOn('owner', {
      handle: async (from, body) => {
        asked.push({ from, body });
        return { renamed: true };
      },
    });
    const edge = await relayOn('edge');
    await expect(edge.request('owner', rename)).resolves.toEqual({ renamed: true });
    expect(asked).toEqual([{ from: 'edge', body: rename }]);
  });

  it('a relayed CodedError keeps its code across the bus', async () => {
    cluster = memoryCluster();
    await relayOn('owner', {
      handle: async () => {
        throw new CodedError(ErrorCode.Forbidden, 'no publish grant');
      },
    });
    const edge = await relayOn('edge');
    const err = await edge.request('owner', rename).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: ErrorCode.Forbidden, message: 'no publish grant' });
  });

  it('a participant the owner no longer has comes back as a GoneError (NOT_JOINED)', async () => {
    cluster = memoryCluster();
    await relayOn('owner', {
      handle: async () => {
        throw new GoneError('not in the room');
      },
    });
    const edge = await relayOn('edge');
    await expect(edge.request('owner', rename)).rejects.toBeInstanceOf(GoneError);
  });

  it('an unexpected error on the owner arrives as a plain error, without a code to hide behind', async () => {
    cluster = memoryCluster();
    await relayOn('owner', {
      handle: async () => {
        throw new Error('boom');
      },
    });
    const edge = await relayOn('edge');
    const err = await edge.request('owner', rename).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ message: 'boom' });
  });

  it('a relayed request to a node that dies rejects with PeerDead at once, not at its timeout', async () => {
    cluster = memoryCluster();
    await relayOn('owner', { handle: () => new Promise(() => undefined) });
    const edge = await relayOn('edge', { requestTimeoutMs: 60_000 });
    const asking = edge.request('owner', rename).catch((e: unknown) => e);
    await settle();
    edge.peersDied(new Set(['owner']));
    const err = await asking;
    expect(err).toBeInstanceOf(PeerDeadError);
    expect(err).toMatchObject({ code: ErrorCode.Degraded, node: 'owner' });
  });

  it('the death of another node leaves requests to live ones waiting', async () => {
    cluster = memoryCluster();
    let answer: (v: unknown) => void = () => undefined;
    await relayOn('owner', { handle: () => new Promise((resolve) => (answer = resolve)) });
    const edge = await relayOn('edge');
    const asking = edge.request('owner', rename);
    await settle();
    edge.peersDied(new Set(['someone-else']));
    answer('late but fine');
    await expect(asking).resolves.toBe('late but fine');
  });

  it('a request nobody answers fails SERVICE_DEGRADED after requestTimeoutMs', async () => {
    cluster = memoryCluster();
    const edge = await relayOn('edge', { requestTimeoutMs: 50 });
    const err = await edge.request('nobody', rename).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: ErrorCode.Degraded });
  });

  it('closing fails the requests still waiting', async () => {
    cluster = memoryCluster();
    const edge = await relayOn('edge', { requestTimeoutMs: 60_000 });
    const asking = edge.request('nobody', rename).catch((e: unknown) => e);
    await edge.close();
    expect(await asking).toMatchObject({ message: 'node shutting down' });
  });

  it('an owner’s events for a socket here are handed on, not answered', async () => {
    cluster = memoryCluster();
    const heard: MemberMessage[] = [];
    const owner = await relayOn('owner');
    await relayOn('edge', { onMemberMessage: (m) => heard.push(m) });
    await owner.send('edge', { t: 'end', participantId: 'p-1', why: 'moved' });
    await settle();
    expect(heard).toEqual([{ t: 'end', participantId: 'p-1', why: 'moved' }]);
  });

  it('a payload that is not signed with the cluster’s key is dropped and counted, never handled', async () => {
    cluster = memoryCluster();
    const asked: RelayOp[] = [];
    await relayOn('owner', { handle: async (_from, body) => void asked.push(body) });
    const forged = JSON.stringify({ t: 'req', id: 'x', from: 'edge', body: rename });
    await cluster.state('attacker').bus.publish(Keys.nodeChannel('owner'), forged);
    await settle();
    expect(asked).toEqual([]);
    expect(cluster.rejected).toEqual(['signature']);
  });
});
