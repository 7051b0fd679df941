// The owner of a room (signaling/cluster/roomOwner.ts): it hosts the room, answers what the
// edges relay for their sockets, sends the members' events back to those edges, and keeps
// the room's lease, roster and chat in shared state. Node A owns room "demo" here; B, C and
// D are edges. Shared state is the memory backend, whose clock the test moves.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Grants } from '../../signaling/auth.js';
import type { BusMessage, JoinFields, RelayOp } from '../../signaling/cluster/busMessages.js';
import type { OwnerJoinOutcome } from '../../signaling/cluster/roomOwner.js';
import { ERROR_TEXT_CHARS } from '../../signaling/clientValue.js';
import { GrantRefusedError } from '../../signaling/grants.js';
import type { MediaParticipantEvents, MediaRoomEvents } from '../../signaling/media.js';
import { CHAT_HISTORY, ErrorCode } from '../../signaling/protocol.js';
import { GoneError } from '../../signaling/roomService.js';
import { FakeMediaPlane, FakeMediaRoom, type FakeMediaParticipant } from '../helpers/fakeMedia.js';
import { LEASE_MS, memoryCluster, ownerOf, recordingSink, recordingLog } from '../helpers/memoryCluster.js';
import { PUBLISH_OFFER } from './fixtures/sdp.js';

const ROOM = 'demo';
const GRACE_MS = 30_000;
const everything: Grants = { publish: true, subscribe: true, admin: false };
const viewer: Grants = { publish: false, subscribe: true, admin: false };

let cluster: ReturnType<typeof memoryCluster>;
let a: ReturnType<typeof ownerOf>;

beforeEach(async () => {
  cluster = memoryCluster();
  a = ownerOf(cluster, 'node-a', { resumeGraceMs: GRACE_MS });
  // Placement gave node A the room before anyone joined.
  await a.state.leases.acquire(ROOM, 'node-a', LEASE_MS);
});
afterEach(async () => {
  a.rooms.closeAll();
  vi.useRealTimers();
  await cluster.close();
});

function fields(identity: string, grants: Grants = everything): JoinFields {
  return { room: ROOM, identity, name: identity.toUpperCase(), grants };
}

function idOf(outcome: OwnerJoinOutcome): string {
  if (!outcome.ok) throw new Error(`join refused: ${outcome.reason}`);
  return outcome.participantId;
}

/** A member whose socket is on node A itself. */
async function joinHere(identity: string, options: { grants?: Grants; resume?: string } = {}) {
  const sink = recordingSink();
  const outcome = await a.owner.join(fields(identity, options.grants), 'node-a', () => sink, options.resume);
  return { outcome, sink, id: idOf(outcome) };
}

/** A member whose socket is on `edge`: the join is relayed, its events go back over the bus. */
async function joinVia(edge: string, identity: string, options: { grants?: Grants; resume?: string } = {}) {
  const body: RelayOp = { op: 'join', join: fields(identity, options.grants), ...(options.resume ? { resumeParticipantId: options.resume } : {}) };
  const outcome = (await a.owner.handleRequest(edge, body)) as OwnerJoinOutcome;
  return { outcome, id: idOf(outcome) };
}

/** What node A sent `node` over the bus, in order. */
function sentTo(node: string): BusMessage[] {
  return a.sent.filter((s) => s.node === node).map((s) => s.message);
}

/** An engine that sends the subscriber offer while the member is still joining. */
class OfferingMedia extends FakeMediaPlane {
  override openRoom(roomId: string, events: MediaRoomEvents): FakeMediaRoom {
    const room = new OfferingRoom(roomId, events);
    this.opened.push(room);
    return room;
  }
}
class OfferingRoom extends FakeMediaRoom {
  override join(participantId: string, grants: Grants, events: MediaParticipantEvents): FakeMediaParticipant {
    const participant = super.join(participantId, grants, events);
    events.offer('v=0 first offer', []);
    return participant;
  }
}

const ref = (participantId: string) => ({ room: ROOM, participantId });
const types = (sink: ReturnType<typeof recordingSink>) => sink.got.map((m) => m.type);
const roster = async () => (await a.state.roster.list(ROOM)).sort((x, y) => x.joinedAt - y.joinedAt || x.identity.localeCompare(y.identity));

/** `ms` of lease renewals, four to a lease period, as the cluster service runs them. */
async function renewalsFor(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += LEASE_MS / 4) {
    cluster.elapse(LEASE_MS / 4);
    await a.owner.renewLeases();
  }
}

describe('RoomOwner: joining', () => {
  it('a member who joins gets a participant id and sees who is there; those there hear of it', async () => {
    const ada = await joinHere('ada');
    const bob = await joinHere('bob');
    expect(bob.outcome).toMatchObject({ ok: true, resumed: false, others: [{ id: ada.id, name: 'ADA' }] });
    expect(bob.id).not.toBe(ada.id);
    expect(ada.sink.got).toEqual([{ type: 'participant-joined', participant: expect.objectContaining({ id: bob.id, name: 'BOB' }) }]);
    expect(bob.sink.got).toEqual([]);
  });

  it('records each member in the roster with the node holding its socket and when it joined', async () => {
    const ada = await joinHere('ada');
    cluster.elapse(1000);
    const bob = await joinVia('node-b', 'bob');
    expect(await roster()).toEqual([
      { participantId: ada.id, identity: 'ada', name: 'ADA', edgeNodeId: 'node-a', joinedAt: 1_000_000 },
      { participantId: bob.id, identity: 'bob', name: 'BOB', edgeNodeId: 'node-b', joinedAt: 1_001_000 },
    ]);
    expect([...a.owner.edgeNodes()]).toEqual(['node-a', 'node-b']);
  });

  it('sends the room\u2019s events for a relayed member to its edge, addressed to it', async () => {
    const bob = await joinVia('node-b', 'bob');
    const carol = await joinHere('carol');
    expect(sentTo('node-b')).toEqual([{ t: 'evt', participantId: bob.id, message: { type: 'participant-joined', participant: expect.objectContaining({ id: carol.id }) } }]);
  });

  it('delivers what the room sends a member during its own join once its id is known', async () => {
    const b = ownerOf(cluster, 'node-a', { media: new OfferingMedia() });
    const sink = recordingSink();
    await b.owner.join(fields('ada'), 'node-a', () => sink, undefined);
    expect(sink.got).toEqual([{ type: 'offer', sdp: 'v=0 first offer', tracks: [] }]);
    b.rooms.closeAll();
  });

  it('a second join of the same identity replaces the first: the others hear it left (replaced), its edge ends its socket', async () => {
    const first = await joinVia('node-b', 'ada');
    const bob = await joinHere('bob');
    const second = await joinVia('node-c', 'ada');
    expect(second.id).not.toBe(first.id);
    expect(sentTo('node-b')).toContainEqual({ t: 'end', participantId: first.id, why: 'replaced' });
    expect(bob.sink.got).toEqual([
      { type: 'participant-left', participantId: first.id, reason: 'replaced' },
      { type: 'participant-joined', participant: expect.objectContaining({ id: second.id }) },
    ]);
    expect(a.local.members(ROOM).map((m) => m.participantId).sort()).toEqual([bob.id, second.id].sort());
  });

  it('refuses a join to a full room, and the refused member leaves no record', async () => {
    const small = ownerOf(cluster, 'node-a', { maxParticipants: 1 });
    const sink = recordingSink();
    const ada = idOf(await small.owner.join(fields('ada'), 'node-a', () => sink, undefined));
    expect(await small.owner.handleRequest('node-b', { op: 'join', join: fields('bob') })).toEqual({ ok: false, reason: 'full' });
    expect((await small.state.roster.list(ROOM)).map((e) => e.participantId)).toEqual([ada]);
    expect([...small.owner.edgeNodes()]).toEqual(['node-a']);
    expect(sink.got).toEqual([]);
    small.rooms.closeAll();
  });

  it('still lets members in while shared state is unavailable, without the chat history', async () => {
    await a.state.close();
    const ada = await joinHere('ada');
    expect(ada.outcome).toMatchObject({ ok: true, chat: [] });
  });
});

describe('RoomOwner: resuming', () => {
  it('continues a member still in the room on its new socket: same id, nobody else hears a thing, the old socket is ended', async () => {
    const bob = await joinHere('bob');
    const ada = await joinVia('node-b', 'ada');
    const heard = bob.sink.got.length;
    const resumed = await joinVia('node-c', 'ada', { resume: ada.id });
    expect(resumed.outcome).toMatchObject({ ok: true, participantId: ada.id, resumed: true, others: [{ id: bob.id }] });
    expect(bob.sink.got.slice(heard)).toEqual([]);
    expect(sentTo('node-b')).toEqual([{ t: 'end', participantId: ada.id, why: 'replaced' }]);
  });

  it('keeps the resumed member\u2019s join time and records its new edge', async () => {
    const ada = await joinVia('node-b', 'ada');
    cluster.elapse(5000);
    await joinVia('node-c', 'ada', { resume: ada.id });
    expect(await roster()).toEqual([expect.objectContaining({ participantId: ada.id, edgeNodeId: 'node-c', joinedAt: 1_000_000 })]);
    expect([...a.owner.edgeNodes()]).toEqual(['node-c']);
  });

  it('continues a member detached within its grace period, and sends it the offer it had not answered', async () => {
    const ada = await joinVia('node-b', 'ada');
    a.media.participant(ada.id).events.offer('v=0 pending offer', []);
    await a.owner.handleRequest('node-b', { op: 'detach', ref: ref(ada.id), reason: 'disconnected' });
    const sink = recordingSink();
    const resumed = await a.owner.join(fields('ada'), 'node-a', () => sink, ada.id);
    expect(resumed).toMatchObject({ ok: true, participantId: ada.id, resumed: true });
    expect(sink.got).toEqual([{ type: 'offer', sdp: 'v=0 pending offer', tracks: [] }]);
  });

  it('joins afresh a member no longer in the room, and logs why', async () => {
    const { log, lines } = recordingLog();
    const b = ownerOf(cluster, 'node-a', { log });
    const bob = recordingSink();
    await b.owner.join(fields('bob'), 'node-a', () => bob, undefined);
    const gone = idOf(await b.owner.join(fields('ada'), 'node-a', recordingSink, undefined));
    await b.owner.leave(ref(gone), 'left');
    const again = await b.owner.join(fields('ada'), 'node-a', recordingSink, gone);
    expect(again).toMatchObject({ ok: true, resumed: false });
    expect(idOf(again)).not.toBe(gone);
    expect(bob.got.at(-1)).toEqual({ type: 'participant-joined', participant: expect.objectContaining({ id: idOf(again) }) });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'resume is a fresh join', participant: gone, reason: 'participant no longer in the room' }));
    b.rooms.closeAll();
  });

  it('joins afresh, under the new grants, a member resuming with a token that grants something else', async () => {
    const ada = await joinVia('node-b', 'ada');
    const weaker = await joinVia('node-c', 'ada', { grants: viewer, resume: ada.id });
    expect(weaker.outcome).toMatchObject({ ok: true, resumed: false });
    expect(weaker.id).not.toBe(ada.id);
    expect(a.local.hasMember(ROOM, ada.id)).toBe(false);
    await expect(a.owner.handleRequest('node-c', { op: 'publish', ref: ref(weaker.id), sdp: PUBLISH_OFFER })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });
});

describe('RoomOwner: leaving and chat', () => {
  it('a member who leaves is gone from the roster, and the others hear why', async () => {
    const ada = await joinHere('ada');
    const bob = await joinVia('node-b', 'bob');
    await a.owner.handleRequest('node-b', { op: 'leave', ref: ref(bob.id), reason: 'left' });
    expect(ada.sink.got.at(-1)).toEqual({ type: 'participant-left', participantId: bob.id, reason: 'left' });
    expect((await roster()).map((e) => e.participantId)).toEqual([ada.id]);
    expect([...a.owner.edgeNodes()]).toEqual(['node-a']);
    expect(await a.state.leases.owner(ROOM)).toBe('node-a');
  });

  it('a member who joins later gets the room\u2019s latest chat messages, oldest first', async () => {
    const ada = await joinHere('ada');
    for (let i = 1; i <= CHAT_HISTORY + 1; i++) await a.owner.chat(ref(ada.id), `message ${i}`);
    const bob = await joinVia('node-b', 'bob');
    if (!bob.outcome.ok) throw new Error('bob was refused');
    expect(bob.outcome.chat.map((m) => m.text)).toEqual(Array.from({ length: CHAT_HISTORY }, (_, i) => `message ${i + 2}`));
  });

  it('keeps a relayed member\u2019s chat message for late joiners too', async () => {
    const bob = await joinVia('node-b', 'bob');
    await a.owner.handleRequest('node-b', { op: 'chat', ref: ref(bob.id), text: 'hello from B' });
    const carol = await joinHere('carol');
    if (!carol.outcome.ok) throw new Error('carol was refused');
    expect(carol.outcome.chat).toEqual([expect.objectContaining({ participantId: bob.id, name: 'BOB', text: 'hello from B' })]);
  });

  it('tells the room a chat message even when shared state cannot keep it for late joiners', async () => {
    const ada = await joinHere('ada');
    const bob = await joinHere('bob');
    await a.state.close();
    await expect(a.owner.chat(ref(ada.id), 'can you hear me?')).resolves.toMatchObject({ text: 'can you hear me?' });
    expect(bob.sink.got.at(-1)).toEqual({ type: 'chat', message: expect.objectContaining({ participantId: ada.id, text: 'can you hear me?' }) });
  });

  it('an emptied room starts over: the last one out takes the chat with it and gives the lease back', async () => {
    const ada = await joinHere('ada');
    await a.owner.chat(ref(ada.id), 'anyone here?');
    await a.owner.leave(ref(ada.id), 'left');
    expect(await a.state.chat.list(ROOM)).toEqual([]);
    expect(await a.state.leases.owner(ROOM)).toBeUndefined();
    const bob = await joinHere('bob');
    expect(bob.outcome).toMatchObject({ ok: true, others: [], chat: [] });
  });
});

describe('RoomOwner: relayed requests', () => {
  it('re-checks grants: a member without the publish grant cannot publish, though its edge relayed the request', async () => {
    const viewing = await joinVia('node-b', 'vic', { grants: viewer });
    const publishing = await joinVia('node-b', 'pat');
    await expect(a.owner.handleRequest('node-b', { op: 'publish', ref: ref(viewing.id), sdp: PUBLISH_OFFER })).rejects.toBeInstanceOf(GrantRefusedError);
    expect(await a.owner.handleRequest('node-b', { op: 'publish', ref: ref(publishing.id), sdp: PUBLISH_OFFER })).toBe('v=0 fake-answer');
  });

  it('takes requests for a member only from the node holding its socket', async () => {
    const carol = await joinHere('carol');
    const bob = await joinVia('node-b', 'bob');
    await expect(a.owner.handleRequest('node-c', { op: 'rename', ref: ref(bob.id), name: 'Mallory' })).rejects.toBeInstanceOf(GoneError);
    await a.owner.handleRequest('node-c', { op: 'leave', ref: ref(bob.id), reason: 'left' });
    await a.owner.handleRequest('node-c', { op: 'detach', ref: ref(bob.id), reason: 'disconnected' });
    expect(carol.sink.got).toEqual([{ type: 'participant-joined', participant: expect.objectContaining({ id: bob.id }) }]);
    await a.owner.handleRequest('node-b', { op: 'rename', ref: ref(bob.id), name: 'Robert' });
    expect(carol.sink.got.at(-1)).toEqual({ type: 'participant-updated', participant: expect.objectContaining({ id: bob.id, name: 'Robert' }) });
  });

  it('ignores a detach from the edge a member has since left for another', async () => {
    const ada = await joinVia('node-b', 'ada');
    await joinVia('node-c', 'ada', { resume: ada.id });
    await a.owner.handleRequest('node-b', { op: 'detach', ref: ref(ada.id), reason: 'disconnected' });
    a.media.participant(ada.id).events.offer('v=0 new offer', []);
    expect(sentTo('node-c')).toEqual([{ t: 'evt', participantId: ada.id, message: { type: 'offer', sdp: 'v=0 new offer', tracks: [] } }]);
  });

  it('tells a relayed member\u2019s edge that its media failed, with the reason bounded', async () => {
    const bob = await joinVia('node-b', 'bob');
    a.media.participant(bob.id).events.failed(`MEDIA_ABUSE: ${'x'.repeat(5000)}`);
    expect(sentTo('node-b')).toEqual([{ t: 'media-failed', participantId: bob.id, reason: expect.stringMatching(/^MEDIA_ABUSE: x+…$/) }]);
    expect(sentTo('node-b').map((m) => (m.t === 'media-failed' ? m.reason.length : 0))).toEqual([ERROR_TEXT_CHARS]);
  });
});

describe('RoomOwner: leases, rosters and dead edges', () => {
  it('renewals keep the room\u2019s lease and its members\u2019 roster entries alive', async () => {
    const ada = await joinHere('ada');
    await renewalsFor(10 * LEASE_MS);
    expect(await a.state.leases.owner(ROOM)).toBe('node-a');
    expect((await roster()).map((e) => e.participantId)).toEqual([ada.id]);
  });

  it('writes roster entries that outlive three missed roster refreshes, not four', async () => {
    const ada = await joinHere('ada');
    cluster.elapse(4 * LEASE_MS - 1);
    expect((await roster()).map((e) => e.participantId)).toEqual([ada.id]);
    cluster.elapse(1);
    expect(await roster()).toEqual([]);
  });

  it('takes back a lease that expired with nobody taking it (a shared-state outage)', async () => {
    const ada = await joinHere('ada');
    cluster.elapse(LEASE_MS);
    await a.owner.renewLeases();
    expect(await a.state.leases.owner(ROOM)).toBe('node-a');
    expect(ada.sink.moves).toBe(0);
  });

  it('moves a room whose lease another node took: its members are told, its chat stays for the new owner', async () => {
    const ada = await joinHere('ada');
    await a.owner.chat(ref(ada.id), 'still here');
    cluster.elapse(LEASE_MS);
    await cluster.state('node-b').leases.acquire(ROOM, 'node-b', LEASE_MS);
    await a.owner.renewLeases();
    expect(ada.sink.moves).toBe(1);
    expect(a.local.roomIds()).toEqual([]);
    await a.owner.renewLeases();
    expect((await a.state.chat.list(ROOM)).map((m) => m.text)).toEqual(['still here']);
    expect(await a.state.leases.owner(ROOM)).toBe('node-b');
  });

  it('gives back the lease, roster and chat of a room that emptied when a grace period ran out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const bob = await joinVia('node-b', 'bob');
    await a.owner.chat(ref(bob.id), 'brb');
    await a.owner.handleRequest('node-b', { op: 'detach', ref: ref(bob.id), reason: 'disconnected' });
    vi.advanceTimersByTime(GRACE_MS);
    await a.owner.renewLeases();
    expect(await a.state.leases.owner(ROOM)).toBeUndefined();
    expect(await a.state.chat.list(ROOM)).toEqual([]);
    expect(await a.state.roster.list(ROOM)).toEqual([]);
    expect([...a.owner.edgeNodes()]).toEqual([]);
  });

  it('forgets a replaced member\u2019s roster entry and edge at the next roster refresh', async () => {
    await joinVia('node-b', 'ada');
    const second = await joinVia('node-c', 'ada');
    await a.owner.renewLeases();
    expect((await roster()).map((e) => e.participantId)).toEqual([second.id]);
    expect([...a.owner.edgeNodes()]).toEqual(['node-c']);
  });

  it('detaches the members whose edge died: nobody hears they left, and they may resume elsewhere within the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const carol = await joinHere('carol');
    const ada = await joinVia('node-b', 'ada');
    const bob = await joinVia('node-c', 'bob');
    await a.owner.peersDied(new Set(['node-b', 'node-c']));
    expect(types(carol.sink)).toEqual(['participant-joined', 'participant-joined']);
    expect([...a.owner.edgeNodes()]).toEqual(['node-a']);
    vi.advanceTimersByTime(GRACE_MS - 1);
    expect(await joinVia('node-d', 'ada', { resume: ada.id })).toMatchObject({ id: ada.id, outcome: { resumed: true } });
    vi.advanceTimersByTime(1);
    expect(carol.sink.got.slice(2)).toEqual([{ type: 'participant-left', participantId: bob.id, reason: 'disconnected' }]);
  });

  it('leaves nothing in shared state when it closes: no lease, no roster entry', async () => {
    await joinHere('ada');
    await joinVia('node-b', 'bob');
    await a.owner.close();
    expect(await a.state.leases.owner(ROOM)).toBeUndefined();
    expect(await a.state.roster.list(ROOM)).toEqual([]);
  });

  it('leaves its rooms alone while shared state is unavailable', async () => {
    const ada = await joinHere('ada');
    await a.state.close();
    await expect(a.owner.renewLeases()).resolves.toBeUndefined();
    expect(a.local.hasMember(ROOM, ada.id)).toBe(true);
    expect(ada.sink.moves).toBe(0);
  });
});
