// One signaling session per socket: the join deadline, refused tokens, requests before
// join, grants, rate limiting and the cost of misbehaving. The socket and the media are
// fakes; time is fake so deadlines and rate windows are exact.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import jwt from 'jsonwebtoken';
import { TokenIssuer, type Grants } from '../../signaling/auth.js';
import { createLogger } from '../../signaling/log.js';
import { CloseCode, ErrorCode, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, type JoinResult, type ServerMessage } from '../../signaling/protocol.js';
import { RoomDirectory } from '../../signaling/room.js';
import { LocalRoomService } from '../../signaling/roomService.js';
import type { ClusterRoomService } from '../../signaling/cluster/clusterRoomService.js';
import { singleNodeRoomService } from '../helpers/roomService.js';
import { Session, type SessionDeps, type SessionSocket } from '../../signaling/session.js';
import { FakeMediaPlane } from '../helpers/fakeMedia.js';
import { CodedError } from '../../signaling/errors.js';
import { ClusterErrorCode, ClusterStateError } from '../../signaling/cluster/errors.js';
import { CLIENT_ANSWER, PUBLISH_OFFER, SERVER_OFFER, sdpWith } from './fixtures/sdp.js';

const SECRET = 'session-test-secret-that-is-at-least-32-chars';
const JOIN_TIMEOUT_MS = 5_000;

type Response = Extract<ServerMessage, { type: 'response' }>;

/** What the session did to its socket, in order. */
class FakeSocket implements SessionSocket {
  readonly log: Array<{ sent: ServerMessage } | { closed: { code: number; reason: string } }> = [];

  send(text: string): void {
    this.log.push({ sent: JSON.parse(text) as ServerMessage });
  }
  close(code: number, reason: string): void {
    this.log.push({ closed: { code, reason } });
  }

  get messages(): ServerMessage[] {
    return this.log.flatMap((e) => ('sent' in e ? [e.sent] : []));
  }
  get closes(): Array<{ code: number; reason: string }> {
    return this.log.flatMap((e) => ('closed' in e ? [e.closed] : []));
  }
  response(id: number): Response {
    const found = this.messages.filter((m): m is Response => m.type === 'response' && m.id === id);
    if (found.length !== 1) throw new Error(`expected exactly one response to ${id}, got ${found.length}`);
    return found[0]!;
  }
  events(type: ServerMessage['type']): ServerMessage[] {
    return this.messages.filter((m) => m.type === type);
  }
}

let media: FakeMediaPlane;
let rooms: RoomDirectory;
let tokens: TokenIssuer;
/** The room service of a single node (a cluster of one over memory), one per test. */
let service: ClusterRoomService;

function deps(overrides: Partial<SessionDeps> = {}): SessionDeps {
  return {
    rooms: service,
    tokens,
    log: createLogger('silent'),
    iceServers: () => [{ urls: ['stun:stun.example.org:3478'] }],
    heartbeatMs: 10_000,
    joinTimeoutMs: JOIN_TIMEOUT_MS,
    impairmentEnabled: true,
    media: { engine: 'werift', simulcast: false },
    ...overrides,
  };
}

function open(overrides: Partial<SessionDeps> = {}): { session: Session; socket: FakeSocket } {
  const socket = new FakeSocket();
  return { session: new Session(socket, deps(overrides)), socket };
}

function frame(session: Session, message: unknown): void {
  session.handleFrame(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)), false);
}

/** Lets pending request handlers and setImmediate callbacks run. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

function token(input: { identity?: string; name?: string; room?: string; grants?: Partial<Grants> } = {}): string {
  return tokens.issue({ room: input.room ?? 'demo', name: input.name ?? 'Ada', identity: input.identity, grants: input.grants });
}

async function joinedSession(input: Parameters<typeof token>[0] = {}): Promise<{ session: Session; socket: FakeSocket; result: JoinResult }> {
  const { session, socket } = open();
  frame(session, { type: 'join', id: 1, token: token(input), room: input.room ?? 'demo' });
  await settle();
  const response = socket.response(1);
  if (!response.ok) throw new Error(`join refused: ${response.error.code} ${response.error.message}`);
  return { session, socket, result: response.result as JoinResult };
}

beforeEach(() => {
  vi.useFakeTimers();
  media = new FakeMediaPlane();
  rooms = new RoomDirectory(media, 16);
  tokens = new TokenIssuer(SECRET, 3600);
  service = singleNodeRoomService(rooms, 0, { impairmentEnabled: true });
});

afterEach(async () => {
  await service.close();
  vi.useRealTimers();
});

describe('Session: join', () => {
  it('answers join with the participant, the room, the people already there, ICE servers, grants, heartbeat and the media engine', async () => {
    const ada = await joinedSession({ name: 'Ada', identity: 'ada' });
    const bob = await joinedSession({ name: 'Bob', identity: 'bob', grants: { publish: false } });
    expect(bob.result).toEqual({
      protocol: PROTOCOL_VERSION,
      participantId: expect.any(String),
      name: 'Bob',
      room: 'demo',
      participants: [{ id: ada.result.participantId, name: 'Ada', publishing: [], muted: { audio: false, video: false }, screen: false }],
      iceServers: [{ urls: ['stun:stun.example.org:3478'] }],
      grants: { publish: false, subscribe: true, admin: false },
      heartbeatMs: 10_000,
      impairment: null,
      resumeToken: expect.any(String),
      resumed: false,
      media: { engine: 'werift', simulcast: false },
      chat: [],
    });
    expect(ada.socket.events('participant-joined')).toEqual([
      { type: 'participant-joined', participant: { id: bob.result.participantId, name: 'Bob', publishing: [], muted: { audio: false, video: false }, screen: false } },
    ]);
  });

  it('refuses a second join on the same socket', async () => {
    const { session, socket } = await joinedSession();
    frame(session, { type: 'join', id: 2, token: token(), room: 'demo' });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.AlreadyJoined } });
    expect(socket.closes).toEqual([]);
  });
});

describe('Session: join deadline', () => {
  it('closes a socket that does not join within the deadline with 4001', async () => {
    const { socket } = open();
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS - 1);
    expect(socket.closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.closes).toEqual([{ code: CloseCode.AuthTimeout, reason: 'no join within deadline' }]);
  });

  it('does not count pings as joining', async () => {
    const { session, socket } = open();
    frame(session, { type: 'ping', id: 1 });
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS);
    expect(socket.response(1).ok).toBe(true);
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.AuthTimeout]);
  });

  it('leaves a socket that joined in time open', async () => {
    const { socket } = await joinedSession();
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS * 3);
    expect(socket.closes).toEqual([]);
  });

  it('stops the deadline when the socket closes first', async () => {
    // The room service's own periodic work (heartbeats, leases) is not the session's.
    const serviceTimers = vi.getTimerCount();
    const { session, socket } = open();
    session.socketClosed('disconnected');
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS);
    expect(socket.log).toEqual([]);
    expect(vi.getTimerCount()).toBe(serviceTimers);
  });
});

describe('Session: refused tokens', () => {
  it.each([
    ['a garbage token', () => 'garbage', 'demo', CloseCode.TokenInvalid],
    ['a token signed with another secret', () => new TokenIssuer('x'.repeat(32), 60).issue({ room: 'demo', name: 'Eve' }), 'demo', CloseCode.TokenInvalid],
    [
      'an expired token',
      () => jwt.sign({ name: 'Ada', room: 'demo', grants: { publish: true, subscribe: true }, sub: 'ada', exp: Math.floor(Date.now() / 1000) - 1 }, SECRET),
      'demo',
      CloseCode.TokenExpired,
    ],
    ['a token for another room', () => token({ room: 'other' }), 'demo', CloseCode.RoomMismatch],
  ])('answers %s with a FORBIDDEN response first, then closes with its code', async (_what, makeToken, room, code) => {
    const { session, socket } = open();
    frame(session, { type: 'join', id: 1, token: makeToken(), room });
    await settle();
    expect(socket.log).toEqual([
      { sent: { type: 'response', id: 1, ok: false, error: { code: ErrorCode.Forbidden, message: expect.any(String) } } },
      { closed: { code, reason: expect.any(String) } },
    ]);
    expect(rooms.stats()).toEqual({ rooms: 0, participants: 0 });
  });

  it('refuses a join into a full room with FORBIDDEN and 4005', async () => {
    await service.close();
    rooms = new RoomDirectory(media, 1);
    service = singleNodeRoomService(rooms, 0, { impairmentEnabled: true });
    const ada = await joinedSession({ identity: 'ada' });
    const { session, socket } = open();
    frame(session, { type: 'join', id: 1, token: token({ identity: 'bob' }), room: 'demo' });
    await settle();
    expect(socket.response(1)).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden, message: 'room is full' } });
    expect(socket.closes).toEqual([{ code: CloseCode.RoomFull, reason: 'room is full' }]);
    expect(ada.socket.events('participant-joined')).toEqual([]);
  });
});

describe('Session: before join', () => {
  it.each([
    { type: 'publish', id: 1, sdp: 'v=0' },
    { type: 'answer', id: 1, sdp: 'v=0' },
    { type: 'mute', id: 1, kind: 'audio', muted: true },
    { type: 'leave', id: 1 },
  ])('answers $type with NOT_JOINED and keeps the socket', async (message) => {
    const { session, socket } = open();
    frame(session, message);
    await settle();
    expect(socket.response(1)).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } });
    expect(socket.closes).toEqual([]);
  });

  it('answers ping', async () => {
    const { session, socket } = open();
    frame(session, { type: 'ping', id: 9 });
    await settle();
    expect(socket.response(9)).toEqual({ type: 'response', id: 9, ok: true, result: { t: Date.now() } });
  });
});

describe('Session: requests of a joined participant', () => {
  it('publishes through the media plane and answers with its SDP', async () => {
    const { session, socket, result } = await joinedSession();
    const offers: string[] = [];
    media.participant(result.participantId).onPublish = async (offer) => {
      offers.push(offer);
      return 'v=0 answer';
    };
    frame(session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(offers).toEqual([PUBLISH_OFFER]);
    expect(socket.response(2)).toEqual({ type: 'response', id: 2, ok: true, result: { sdp: 'v=0 answer' } });
  });

  it('refuses publish without the publish grant, and does not touch the media', async () => {
    const { session, socket, result } = await joinedSession({ grants: { publish: false } });
    let published = false;
    media.participant(result.participantId).onPublish = async () => {
      published = true;
      return 'v=0';
    };
    frame(session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden, message: 'token has no publish grant' } });
    expect(published).toBe(false);
    expect(socket.closes).toEqual([]);
  });

  it('answers an offer the SFU cannot use with BAD_SDP', async () => {
    const { session, socket, result } = await joinedSession();
    media.participant(result.participantId).onPublish = async () => {
      throw new Error('no common codec');
    };
    frame(session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp, message: 'offer refused: no common codec' } });
  });

  it.each([
    ['that is not an SDP', 'nonsense'],
    ['without m-lines', sdpWith()],
    ['with 9 m-lines', sdpWith(...Array.from({ length: 9 }, (_, i): ['audio', string] => ['audio', String(i)]))],
  ])('answers an offer %s with BAD_SDP, and the media plane never sees it', async (_what, sdp) => {
    const { session, socket, result } = await joinedSession();
    let published = false;
    media.participant(result.participantId).onPublish = async () => {
      published = true;
      return 'v=0';
    };
    frame(session, { type: 'publish', id: 2, sdp });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp, message: expect.stringMatching(/^offer refused: /) } });
    expect(published).toBe(false);
  });

  it("passes the client's answer to the SFU's offer on, and reports a refused answer as BAD_SDP", async () => {
    const { session, socket, result } = await joinedSession();
    const mediaSide = media.participant(result.participantId);
    mediaSide.events.offer(SERVER_OFFER, [{ mid: '0', participantId: 'someone', kind: 'video', source: 'camera' }]);
    expect(socket.events('offer')).toEqual([{ type: 'offer', sdp: SERVER_OFFER, tracks: [{ mid: '0', participantId: 'someone', kind: 'video', source: 'camera' }] }]);

    frame(session, { type: 'answer', id: 2, sdp: CLIENT_ANSWER });
    await settle();
    expect(socket.response(2)).toEqual({ type: 'response', id: 2, ok: true, result: {} });
    expect(mediaSide.answers).toEqual([CLIENT_ANSWER]);

    mediaSide.events.offer(SERVER_OFFER, [{ mid: '0', participantId: 'someone', kind: 'video', source: 'camera' }]);
    mediaSide.onAnswer = async () => {
      throw new Error('bad fingerprint');
    };
    frame(session, { type: 'answer', id: 3, sdp: CLIENT_ANSWER });
    await settle();
    expect(socket.response(3)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp, message: 'answer refused: bad fingerprint' } });
  });

  it('refuses an answer when no offer is waiting, without asking the media plane', async () => {
    const { session, socket, result } = await joinedSession();
    frame(session, { type: 'answer', id: 2, sdp: CLIENT_ANSWER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp, message: 'answer refused: no offer is waiting for an answer' } });
    expect(media.participant(result.participantId).answers).toEqual([]);
  });

  it('refuses an answer that does not match the offer with BAD_SDP; the offer stays outstanding and a good answer still works', async () => {
    const { session, socket, result } = await joinedSession();
    const mediaSide = media.participant(result.participantId);
    const offer = sdpWith(['audio', '0'], ['video', '1']);
    mediaSide.events.offer(offer, []);
    frame(session, { type: 'answer', id: 2, sdp: 'x' });
    frame(session, { type: 'answer', id: 3, sdp: sdpWith(['audio', '0']) });
    frame(session, { type: 'answer', id: 4, sdp: sdpWith(['audio', '0'], ['video', '5']) });
    await settle();
    for (const id of [2, 3, 4]) expect(socket.response(id)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp } });
    expect(mediaSide.answers).toEqual([]);

    frame(session, { type: 'answer', id: 5, sdp: sdpWith(['audio', '0'], ['video', '1']) });
    await settle();
    expect(socket.response(5)).toMatchObject({ ok: true });
    expect(mediaSide.answers).toHaveLength(1);
  });

  it('tells the others about a mute', async () => {
    const ada = await joinedSession({ identity: 'ada' });
    const bob = await joinedSession({ identity: 'bob' });
    frame(bob.session, { type: 'mute', id: 2, kind: 'video', muted: true });
    await settle();
    expect(bob.socket.response(2).ok).toBe(true);
    expect(ada.socket.events('participant-updated')).toEqual([
      { type: 'participant-updated', participant: expect.objectContaining({ id: bob.result.participantId, muted: { audio: false, video: true } }) },
    ]);
  });

  it('answers leave, then closes with 1000; the others see the reason "left"', async () => {
    const ada = await joinedSession({ identity: 'ada' });
    const bob = await joinedSession({ identity: 'bob' });
    frame(bob.session, { type: 'leave', id: 2 });
    await settle();
    expect(bob.socket.log.slice(-2)).toEqual([{ sent: { type: 'response', id: 2, ok: true, result: {} } }, { closed: { code: CloseCode.Normal, reason: 'left' } }]);
    expect(ada.socket.events('participant-left')).toEqual([{ type: 'participant-left', participantId: bob.result.participantId, reason: 'left' }]);
    expect(media.participant(bob.result.participantId).closed).toBe(true);
  });

  it('a socket that drops leaves the room with the reason given by the transport', async () => {
    const ada = await joinedSession({ identity: 'ada' });
    const bob = await joinedSession({ identity: 'bob' });
    bob.session.socketClosed('timeout');
    await settle();
    expect(ada.socket.events('participant-left')).toEqual([{ type: 'participant-left', participantId: bob.result.participantId, reason: 'timeout' }]);
    frame(bob.session, { type: 'ping', id: 5 });
    await settle();
    expect(bob.socket.events('response')).toHaveLength(1);
  });

  it('the last one out closes the room and its media', async () => {
    const { session } = await joinedSession();
    session.socketClosed('disconnected');
    await settle();
    expect(rooms.stats()).toEqual({ rooms: 0, participants: 0 });
    expect(media.openRooms()).toEqual([]);
  });

  it('the same identity joining again closes the old socket with 4009; the others see replaced, then joined', async () => {
    const ada = await joinedSession({ identity: 'ada' });
    const first = await joinedSession({ identity: 'bob' });
    const second = await joinedSession({ identity: 'bob' });
    expect(first.socket.closes).toEqual([{ code: CloseCode.Replaced, reason: expect.any(String) }]);
    const presence = ada.socket.messages.filter((m) => m.type === 'participant-left' || m.type === 'participant-joined');
    expect(presence).toEqual([
      { type: 'participant-joined', participant: expect.objectContaining({ id: first.result.participantId }) },
      { type: 'participant-left', participantId: first.result.participantId, reason: 'replaced' },
      { type: 'participant-joined', participant: expect.objectContaining({ id: second.result.participantId }) },
    ]);
    expect(second.result.participants.map((p) => p.name)).toEqual(['Ada']);
    expect(second.socket.closes).toEqual([]);
  });
});

describe('Session: failures outside a request', () => {
  it('a join deadline whose close throws ends that session with 1011 and is counted, not thrown out of the timer', async () => {
    let internalErrors = 0;
    const socket = new FakeSocket();
    const close = socket.close.bind(socket);
    socket.close = (code, reason) => {
      if (code === CloseCode.AuthTimeout) throw new Error('socket broke');
      close(code, reason);
    };
    new Session(socket, deps({ onInternalError: () => internalErrors++ }));
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS);
    expect(socket.closes).toEqual([{ code: CloseCode.InternalError, reason: 'internal error' }]);
    expect(internalErrors).toBe(1);
  });

  it('a joined session that fails outside a request leaves the room; the others hear participant-left', async () => {
    const ada = await joinedSession({ identity: 'ada' });
    const bob = await joinedSession({ identity: 'bob' });
    bob.session.internalFailure('frame', new Error('bug'));
    await settle();
    expect(bob.socket.closes).toEqual([{ code: CloseCode.InternalError, reason: 'internal error' }]);
    expect(ada.socket.events('participant-left')).toEqual([{ type: 'participant-left', participantId: bob.result.participantId, reason: 'disconnected' }]);
  });
});

describe('Session: rate limiting', () => {
  it('takes a burst of 100 requests, answers the 101st with RATE_LIMITED, and refills at 50 per second', async () => {
    const { session, socket } = open();
    for (let id = 1; id <= 101; id++) frame(session, { type: 'ping', id });
    await settle();
    expect(socket.messages.filter((m) => m.type === 'response' && m.ok)).toHaveLength(100);
    expect(socket.response(101)).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } });

    await vi.advanceTimersByTimeAsync(100); // five requests' worth
    for (let id = 201; id <= 206; id++) frame(session, { type: 'ping', id });
    await settle();
    expect([201, 202, 203, 204, 205, 206].map((id) => socket.response(id).ok)).toEqual([true, true, true, true, true, false]);
    expect(socket.closes).toEqual([]);
  });

  it('sustains 50 requests per second indefinitely', async () => {
    const { session, socket } = open({ joinTimeoutMs: 60_000 });
    let id = 0;
    for (let second = 0; second < 5; second++) {
      for (let i = 0; i < 50; i++) frame(session, { type: 'ping', id: ++id });
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(socket.messages.every((m) => m.type === 'response' && m.ok)).toBe(true);
    expect(socket.messages).toHaveLength(250);
  });

  it('closes a client that keeps flooding with 4008', async () => {
    const { session, socket } = open();
    for (let id = 1; id <= 120; id++) frame(session, { type: 'ping', id });
    await settle();
    expect(socket.closes).toEqual([{ code: CloseCode.Misbehaving, reason: 'too many invalid messages' }]);
  });
});

describe('Session: misbehaviour', () => {
  it('answers each bad frame with an error and closes with 4008 on the 20th within 10 s', async () => {
    const { session, socket } = open();
    for (let i = 0; i < 19; i++) frame(session, '{not json');
    expect(socket.messages).toHaveLength(19);
    expect(socket.messages.every((m) => m.type === 'error' && m.error.code === ErrorCode.BadJson)).toBe(true);
    expect(socket.closes).toEqual([]);
    frame(session, '{not json');
    expect(socket.log.slice(-2)).toEqual([
      { sent: { type: 'error', error: { code: ErrorCode.BadJson, message: expect.any(String) } } },
      { closed: { code: CloseCode.Misbehaving, reason: 'too many invalid messages' } },
    ]);
    frame(session, '{not json');
    expect(socket.log).toHaveLength(21);
  });

  it('forgets errors older than 10 s', async () => {
    const { session, socket } = open({ joinTimeoutMs: 60_000 });
    for (let i = 0; i < 19; i++) frame(session, { type: 'nope', id: i });
    await vi.advanceTimersByTimeAsync(10_000);
    for (let i = 0; i < 19; i++) frame(session, { type: 'nope', id: i });
    expect(socket.closes).toEqual([]);
  });

  it('counts requests made before join against the client', async () => {
    const { session, socket } = open();
    for (let id = 1; id <= 20; id++) frame(session, { type: 'mute', id, kind: 'audio', muted: true });
    await settle();
    expect(socket.closes.map((c) => c.code)).toEqual([CloseCode.Misbehaving]);
  });

  it('does not count FORBIDDEN against the client', async () => {
    const { session, socket } = await joinedSession({ grants: { publish: false } });
    for (let id = 2; id < 40; id++) frame(session, { type: 'publish', id, sdp: 'v=0' });
    await settle();
    expect(socket.closes).toEqual([]);
  });

  it('answers a frame above 64 KiB with TOO_LARGE and keeps the socket', async () => {
    const { session, socket } = open();
    frame(session, { type: 'ping', id: 1, pad: 'x'.repeat(MAX_MESSAGE_BYTES) });
    expect(socket.messages).toEqual([{ type: 'error', error: { code: ErrorCode.TooLarge, message: expect.any(String) } }]);
    frame(session, { type: 'ping', id: 2 });
    await settle();
    expect(socket.response(2).ok).toBe(true);
  });

  it('answers a binary frame with BAD_MESSAGE', () => {
    const { session, socket } = open();
    session.handleFrame(Buffer.from(JSON.stringify({ type: 'ping', id: 1 })), true);
    expect(socket.messages).toEqual([{ type: 'error', error: { code: ErrorCode.BadMessage, message: expect.any(String) } }]);
  });

  it('answers a readable id with a response and an unreadable one with an error', async () => {
    const { session, socket } = open();
    frame(session, { type: 'ping', id: 4, extra: 1 });
    frame(session, { type: 'ping', id: 'four' });
    expect(socket.messages).toEqual([
      { type: 'response', id: 4, ok: false, error: { code: ErrorCode.BadMessage, message: expect.any(String) } },
      { type: 'error', error: { code: ErrorCode.BadMessage, message: expect.any(String) } },
    ]);
  });

  it('an SFU that throws while taking an answer costs the request, not the socket', async () => {
    const { session, socket, result } = await joinedSession();
    const mediaSide = media.participant(result.participantId);
    mediaSide.events.offer(SERVER_OFFER, []);
    mediaSide.onAnswer = () => {
      throw new TypeError('bug in the SFU');
    };
    frame(session, { type: 'answer', id: 2, sdp: CLIENT_ANSWER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp } });
    expect(socket.closes).toEqual([]);
  });
});

describe('Session: controlled impairment', () => {
  it('lets an admin set and clear the room impairment, and tells everyone in the room', async () => {
    const admin = await joinedSession({ name: 'Root', identity: 'root', grants: { admin: true } });
    const other = await joinedSession({ name: 'Bob', identity: 'bob' });
    frame(admin.session, { type: 'set-impairment', id: 5, lossPercent: 10, kind: 'video', subscriberId: other.result.participantId });
    await settle();
    expect(admin.socket.response(5)).toMatchObject({ ok: true });
    const expected = { lossPercent: 10, delayMs: 0, jitterMs: 0, kind: 'video', subscriberId: other.result.participantId };
    expect(media.opened[0]?.impairment).toEqual(expected);
    expect(other.socket.events('impairment')).toEqual([{ type: 'impairment', settings: expected }]);
    expect(admin.socket.events('impairment')).toEqual([{ type: 'impairment', settings: expected }]);

    frame(admin.session, { type: 'set-impairment', id: 6, off: true });
    await settle();
    expect(media.opened[0]?.impairment).toBeNull();
    expect(other.socket.events('impairment').at(-1)).toEqual({ type: 'impairment', settings: null });
  });

  it('refuses impairment to a participant without the admin grant', async () => {
    const { session, socket } = await joinedSession({ name: 'Eve', identity: 'eve' });
    frame(session, { type: 'set-impairment', id: 5, lossPercent: 50 });
    await settle();
    expect(socket.response(5)).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } });
    expect(media.opened[0]?.impairment).toBeNull();
  });
});

describe('Session: grants are checked on every request that needs one', () => {
  it('refuses publish and set-impairment with TOKEN_EXPIRED once the token expired during the session; the socket stays', async () => {
    const admin = await joinedSession({ name: 'Root', identity: 'root', grants: { admin: true } });
    frame(admin.session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(admin.socket.response(2)).toMatchObject({ ok: true });

    vi.setSystemTime(Date.now() + 3601_000);
    frame(admin.session, { type: 'publish', id: 3, sdp: PUBLISH_OFFER });
    frame(admin.session, { type: 'set-impairment', id: 4, lossPercent: 50 });
    frame(admin.session, { type: 'mute', id: 5, kind: 'audio', muted: true });
    await settle();
    expect(admin.socket.response(3)).toMatchObject({ ok: false, error: { code: ErrorCode.TokenExpired } });
    expect(admin.socket.response(4)).toMatchObject({ ok: false, error: { code: ErrorCode.TokenExpired } });
    // A request that needs no grant still works, and the socket stays up.
    expect(admin.socket.response(5)).toMatchObject({ ok: true });
    expect(media.opened[0]?.impairment).toBeNull();
    expect(admin.socket.closes).toEqual([]);
  });

  it("a resume with a newer token moves the expiry on to that token's", async () => {
    const graceful = singleNodeRoomService(rooms, 2 * 3600_000, { impairmentEnabled: true });
    const first = open({ rooms: graceful });
    frame(first.session, { type: 'join', id: 1, token: token({ identity: 'ada' }), room: 'demo' });
    await settle();
    const joined = first.socket.response(1);
    if (!joined.ok) throw new Error(`join refused: ${joined.error.code}`);
    const { resumeToken, participantId } = joined.result as JoinResult;
    first.session.socketClosed('disconnected', false);

    vi.setSystemTime(Date.now() + 1800_000);
    const second = open({ rooms: graceful });
    frame(second.session, { type: 'join', id: 1, token: token({ identity: 'ada' }), room: 'demo', resume: resumeToken });
    await settle();
    expect(second.socket.response(1)).toMatchObject({ ok: true, result: { resumed: true, participantId } });

    // The first token has expired by now, the second has not.
    vi.setSystemTime(Date.now() + 2400_000);
    frame(second.session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(second.socket.response(2)).toMatchObject({ ok: true });
    await graceful.close();
  });

  it('the room service itself refuses publish without the grant and impairment without admin or SFU_IMPAIRMENT (a relayed request is not trusted)', async () => {
    const viewer = await joinedSession({ name: 'Viewer', identity: 'viewer', grants: { publish: false } });
    const service = new LocalRoomService(rooms, 0, { impairmentEnabled: true });
    const ref = { room: 'demo', participantId: viewer.result.participantId };
    await expect(service.publish(ref, PUBLISH_OFFER)).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(service.setImpairment(ref, { lossPercent: 100, delayMs: 0, jitterMs: 0, kind: 'all' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });

    const admin = await joinedSession({ name: 'Root', identity: 'root', grants: { admin: true } });
    const adminRef = { room: 'demo', participantId: admin.result.participantId };
    const impairmentOff = new LocalRoomService(rooms, 0);
    await expect(impairmentOff.setImpairment(adminRef, { lossPercent: 100, delayMs: 0, jitterMs: 0, kind: 'all' })).rejects.toMatchObject({ code: ErrorCode.Forbidden, message: /SFU_IMPAIRMENT/ });
    expect(media.opened[0]?.impairment).toBeNull();
  });
});

describe('Session: video-size', () => {
  it('is accepted and changes nothing on an engine with one layer', async () => {
    const { session, socket } = await joinedSession();
    frame(session, { type: 'video-size', id: 2, participantId: 'someone', width: 320, height: 180 });
    await settle();
    expect(socket.response(2)).toEqual({ type: 'response', id: 2, ok: true, result: { layers: [], spatialLayer: null } });
  });

  it('is rate limited on its own bound (VIDEO_SIZE_RATE_PER_SECOND, VIDEO_SIZE_BURST): past the burst, RATE_LIMITED', async () => {
    const { session, socket } = open({ videoSizeRate: { perSecond: 1, burst: 3 } });
    frame(session, { type: 'join', id: 1, token: token(), room: 'demo' });
    await settle();
    for (let id = 2; id <= 6; id++) frame(session, { type: 'video-size', id, participantId: 'p', width: 10, height: 10 });
    await settle();
    const outcomes = [2, 3, 4, 5, 6].map((id) => {
      const r = socket.response(id);
      return r.ok ? 'ok' : r.error.code;
    });
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    await vi.advanceTimersByTimeAsync(1000);
    frame(session, { type: 'video-size', id: 7, participantId: 'p', width: 10, height: 10 });
    await settle();
    expect(socket.response(7).ok).toBe(true);
  });
});

describe('Session: errors keep their meaning', () => {
  /** The room service with one call replaced: the failure a cluster can have there. */
  function failing<K extends 'mute' | 'publish' | 'rename'>(name: K, fail: () => never): ClusterRoomService {
    return new Proxy(service, {
      get(target, prop) {
        if (prop === name) return async () => fail();
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  async function joinedWith(rooms: ClusterRoomService): Promise<{ session: Session; socket: FakeSocket }> {
    const { session, socket } = open({ rooms });
    frame(session, { type: 'join', id: 1, token: token(), room: 'demo' });
    await settle();
    expect(socket.response(1)).toMatchObject({ ok: true });
    return { session, socket };
  }

  it('a mute while the shared state is down answers SERVICE_DEGRADED, saying nothing of the store, not INTERNAL', async () => {
    const { session, socket } = await joinedWith(
      failing('mute', () => {
        throw new ClusterStateError(ClusterErrorCode.Unavailable, 'redis 10.0.0.7:6379: connection refused');
      }),
    );
    frame(session, { type: 'mute', id: 2, kind: 'audio', muted: true });
    await settle();
    const response = socket.response(2);
    expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.Degraded } });
    expect(JSON.stringify(response)).not.toContain('10.0.0.7');
  });

  it('a publish whose room owner does not answer is SERVICE_DEGRADED, not BAD_SDP: the offer was fine', async () => {
    const { session, socket } = await joinedWith(
      failing('publish', () => {
        throw new CodedError(ErrorCode.Degraded, 'node n2 did not answer publish within 5000 ms');
      }),
    );
    frame(session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.Degraded, message: expect.stringMatching(/did not answer/) } });
  });

  it('a refusal that came back from the owner with its code keeps it (TRACK_LIMIT over the bus reads "CODE: reason")', async () => {
    const { session, socket } = await joinedWith(
      failing('publish', () => {
        throw new CodedError(ErrorCode.TrackLimit, 'TRACK_LIMIT: 9 tracks over this participant’s offers; at most 8');
      }),
    );
    frame(session, { type: 'publish', id: 2, sdp: PUBLISH_OFFER });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.TrackLimit, message: 'offer refused: 9 tracks over this participant’s offers; at most 8' } });
  });

  it('an unexpected failure is still INTERNAL, with nothing of it in the answer', async () => {
    const { session, socket } = await joinedWith(
      failing('rename', () => {
        throw new TypeError('cannot read properties of undefined (reading "name") at /srv/app/room.js:12');
      }),
    );
    frame(session, { type: 'set-name', id: 2, name: 'Ada L' });
    await settle();
    expect(socket.response(2)).toMatchObject({ ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } });
  });
});
