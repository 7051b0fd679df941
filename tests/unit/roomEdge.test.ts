// The edge of a relayed member (signaling/cluster/roomEdge.ts): its socket is on this node,
// its room on another. Events the owner sends before this node has read the join's answer
// still reach the member, in order; requests go to the owner; a dead owner moves the room.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JoinFields, RelayOp } from '../../signaling/cluster/busMessages.js';
import { RoomEdge } from '../../signaling/cluster/roomEdge.js';
import type { OwnerJoinOutcome } from '../../signaling/cluster/roomOwner.js';
import { createLogger } from '../../signaling/log.js';
import type { ServerMessage } from '../../signaling/protocol.js';
import { recordingSink } from '../helpers/memoryCluster.js';

const join: JoinFields = { room: 'room-1', identity: 'ada', name: 'Ada', grants: { publish: true, subscribe: true } } as JoinFields;
const joined = (participantId: string): OwnerJoinOutcome => ({ ok: true, participantId, others: [], impairment: null, resumed: false, chat: [] }) as unknown as OwnerJoinOutcome;
const chat = (n: number): ServerMessage => ({ type: 'chat', message: { id: `m${n}`, from: 'x', name: 'X', text: `hello ${n}`, at: n } }) as unknown as ServerMessage;

let requests: Array<{ node: string; body: RelayOp }>;
let answer: (node: string, body: RelayOp) => Promise<unknown>;
let edge: RoomEdge;

beforeEach(() => {
  vi.useFakeTimers();
  requests = [];
  answer = async () => undefined;
  edge = new RoomEdge({ request: (node, body) => (requests.push({ node, body }), answer(node, body)), earlyEventsMs: 1000 }, createLogger('silent'));
});
afterEach(() => {
  edge.close();
  vi.useRealTimers();
});

describe('a relayed member on its edge', () => {
  it('gets, in order, the events its owner sent before the join answer arrived', async () => {
    answer = async () => {
      edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(1) });
      edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(2) });
      return joined('p-1');
    };
    const sink = recordingSink();
    expect(await edge.join('node-b', join, sink, undefined)).toMatchObject({ ok: true, participantId: 'p-1' });
    edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(3) });
    expect(sink.got).toEqual([chat(1), chat(2), chat(3)]);
    expect(requests).toEqual([{ node: 'node-b', body: { op: 'join', join } }]);
  });

  it('drops early events for a member whose join never completes here', async () => {
    edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(1) });
    vi.advanceTimersByTime(1001);
    answer = async () => joined('p-1');
    const sink = recordingSink();
    await edge.join('node-b', join, sink, undefined);
    expect(sink.got).toEqual([]);
  });

  it('keeps at most 32 early events per member', async () => {
    for (let i = 0; i < 100; i++) edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(i) });
    answer = async () => joined('p-1');
    const sink = recordingSink();
    await edge.join('node-b', join, sink, undefined);
    expect(sink.got).toHaveLength(32);
    expect(sink.got[0]).toEqual(chat(0));
  });

  it('routes its requests to the owner, and other members\u2019 requests to this node', async () => {
    answer = async (_node, body) => (body.op === 'join' ? joined('p-1') : 'from the owner');
    await edge.join('node-b', join, recordingSink(), undefined);
    const rename: RelayOp = { op: 'rename', ref: { room: 'room-1', participantId: 'p-1' }, name: 'Grace' };
    expect(await edge.route({ room: 'room-1', participantId: 'p-1' }, rename, async () => 'here')).toBe('from the owner');
    expect(await edge.route({ room: 'room-1', participantId: 'p-2' }, rename, async () => 'here')).toBe('here');
  });

  it('is told the room moved when its owner dies, and only then', async () => {
    answer = async (node) => joined(node === 'node-b' ? 'p-1' : 'p-2');
    const onB = recordingSink();
    const onC = recordingSink();
    await edge.join('node-b', join, onB, undefined);
    await edge.join('node-c', join, onC, undefined);
    edge.peersDied(new Set(['node-b']), 'beats');
    expect([onB.moves, onC.moves]).toEqual([1, 0]);
    expect([...edge.ownerNodes()]).toEqual(['node-c']);
  });

  it('hears from its owner that the same identity joined elsewhere', async () => {
    answer = async () => joined('p-1');
    const sink = recordingSink();
    await edge.join('node-b', join, sink, undefined);
    edge.onMemberMessage({ t: 'end', participantId: 'p-1', why: 'replaced' });
    edge.onMemberMessage({ t: 'evt', participantId: 'p-1', message: chat(1) });
    expect(sink.replacements).toBe(1);
    expect(sink.got).toEqual([]);
  });

  it('hears that its media failed on the owner, so that its session can close it (4015 for abuse)', async () => {
    answer = async () => joined('p-1');
    const sink = recordingSink();
    await edge.join('node-b', join, sink, undefined);
    edge.onMemberMessage({ t: 'media-failed', participantId: 'p-1', reason: 'MEDIA_ABUSE: data limits' });
    expect(sink.failures).toEqual(['MEDIA_ABUSE: data limits']);
  });
});
