// Every error code signaling/PROTOCOL.md documents, provoked the way the document says it
// happens, on one node and on three nodes sharing a Redis. In the cluster the participant's
// socket sits on a node that does not own its room, so whatever the owner decides crosses
// the bus before the client hears it. The codes are read from the document itself: a code
// added to its table without a provocation here fails the first test of each shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../signaling/protocol.js';
import { ownerIndex, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { documentedCodes } from '../helpers/fuzzProtocolDoc.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { SHAPES, type Shape } from '../helpers/signalingServer.js';
import { signedToken, type TokenInput } from '../helpers/tokens.js';
import { ClientPool, freshRoom, type Response, type TestClient } from '../helpers/wsClient.js';
import { PUBLISH_OFFER, sdpWith } from '../unit/fixtures/sdp.js';

/** A deployment for one describe block: a node or a cluster, and clients placed as a test asks. */
interface Deployment {
  start(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  /** A socket on any node. */
  connect(): Promise<TestClient>;
  /** A participant in `room`: on one node, there; in the cluster, on a node that does not own the room (someone else opens it first). */
  member(room: string, token?: Partial<TokenInput>): Promise<TestClient>;
  /** Shared state goes away (the cluster's Redis stops), and comes back. */
  outage?: { begin(): Promise<void>; end(): Promise<void> };
}

function deployment(shape: Shape): Deployment {
  let server: ServerHandle | undefined;
  let cluster: ClusterHandle | undefined;
  const pools: ClientPool[] = [];
  const pool = (i: number): ClientPool => pools[i % pools.length]!;

  return {
    async start(env) {
      if (shape === 'one node') {
        server = await startServer(env);
        pools.push(new ClientPool(() => server!.wsUrl));
      } else {
        // Its own Redis: the outage test stops it.
        cluster = await startCluster(3, env, { spawnRedis: true });
        for (const node of cluster.nodes) pools.push(new ClientPool(() => node.wsUrl));
      }
    },
    async stop() {
      for (const p of pools) p.dropAll();
      await (cluster ? cluster.stop() : server?.stop());
    },
    connect: () => pool(0).connect(),
    async member(room, token = {}) {
      const signed = signedToken({ room, ...token });
      if (!cluster) return (await pool(0).joined(signed, room)).client;
      await pool(0).joined(signedToken({ room }), room);
      const owner = await ownerIndex(cluster, room);
      return (await pool(owner + 1).joined(signed, room)).client;
    },
    ...(shape === 'one node'
      ? {}
      : {
          outage: {
            begin: () => cluster!.redis.stop(),
            end: () => cluster!.redis.restart(),
          },
        }),
  };
}

function refusedWith(response: Response, code: string): void {
  expect(response, JSON.stringify(response)).toMatchObject({ ok: false, error: { code } });
}

/** An error without an id: frames the server could not read as a request. */
async function unaddressedError(client: TestClient, code: string): Promise<void> {
  expect(await client.nextEvent('error')).toMatchObject({ error: { code } });
}

/** Codes no client can provoke, and where they are covered instead. */
const NOT_PROVOKED: Record<Shape, Partial<Record<string, string>>> = {
  'one node': {
    [ErrorCode.Internal]: 'a server bug by definition; tests/unit/session.test.ts throws inside a handler',
    [ErrorCode.Degraded]: 'one node keeps its state in memory, which never becomes unavailable',
  },
  'three nodes on Redis': {
    [ErrorCode.Internal]: 'a server bug by definition; tests/unit/session.test.ts throws inside a handler',
  },
};

/** What each test below provokes; the table must name every documented code but those above. */
const PROVOKED = [
  ErrorCode.BadJson,
  ErrorCode.BadMessage,
  ErrorCode.UnknownType,
  ErrorCode.TooLarge,
  ErrorCode.NotJoined,
  ErrorCode.AlreadyJoined,
  ErrorCode.Forbidden,
  ErrorCode.TokenExpired,
  ErrorCode.BadSdp,
  ErrorCode.RateLimited,
  ErrorCode.TrackLimit,
  ErrorCode.PublishInProgress,
  ErrorCode.MediaCapacity,
];

describe.each(SHAPES)('every documented error code, %s', (shape) => {
  const d = deployment(shape);
  beforeAll(() => d.start({}));
  afterAll(() => d.stop());

  it('PROTOCOL.md names no code that this file does not provoke or say why it cannot', () => {
    const accounted = new Set<string>([...PROVOKED, ...Object.keys(NOT_PROVOKED[shape]), ...(shape === 'one node' ? [] : [ErrorCode.Degraded])]);
    expect([...documentedCodes().errors].filter((code) => !accounted.has(code))).toEqual([]);
  });

  it('BAD_JSON, BAD_MESSAGE, UNKNOWN_TYPE and TOO_LARGE for frames that are not requests; the socket stays', async () => {
    const client = await d.connect();
    client.sendRaw('{not json');
    await unaddressedError(client, ErrorCode.BadJson);
    refusedWith(await client.request({ type: 'chat', text: 5 }), ErrorCode.BadMessage);
    refusedWith(await client.request({ type: 'teleport' }), ErrorCode.UnknownType);
    client.sendRaw(JSON.stringify({ type: 'chat', id: 99, text: 'x'.repeat(70 * 1024) }));
    await unaddressedError(client, ErrorCode.TooLarge);
    expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
  });

  it('NOT_JOINED before a join, ALREADY_JOINED for a second one', async () => {
    const stranger = await d.connect();
    refusedWith(await stranger.request({ type: 'chat', text: 'hello?' }), ErrorCode.NotJoined);
    const room = freshRoom('codes');
    const member = await d.member(room);
    refusedWith(await member.request({ type: 'join', token: signedToken({ room }), room }), ErrorCode.AlreadyJoined);
  });

  it('FORBIDDEN for a publish without the publish grant', async () => {
    const member = await d.member(freshRoom('codes'), { grants: { publish: false, subscribe: true } });
    refusedWith(await member.request({ type: 'publish', sdp: PUBLISH_OFFER }), ErrorCode.Forbidden);
  });

  it('TOKEN_EXPIRED for a publish after the token ran out; the call goes on', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const member = await d.member(freshRoom('codes'), { exp });
    // No event marks a token's expiry: wait it out (JWT times are whole seconds).
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 1100));
    refusedWith(await member.request({ type: 'publish', sdp: PUBLISH_OFFER }), ErrorCode.TokenExpired);
    expect(await member.request({ type: 'chat', text: 'still here' })).toMatchObject({ ok: true });
  });

  it('BAD_SDP for an offer that is no SDP, and for an answer with no offer waiting', async () => {
    const member = await d.member(freshRoom('codes'));
    refusedWith(await member.request({ type: 'publish', sdp: 'x' }), ErrorCode.BadSdp);
    // Decided by the room's owner: in the cluster, this refusal crossed the bus.
    refusedWith(await member.request({ type: 'answer', sdp: sdpWith(['video', '0']) }), ErrorCode.BadSdp);
  });

  it('RATE_LIMITED for the sixth chat message at once (bursts of 5)', async () => {
    const member = await d.member(freshRoom('codes'));
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => member.request({ type: 'chat', text: `m${i}` })));
    expect(replies.slice(0, 5).every((r) => r.ok)).toBe(true);
    refusedWith(replies[5]!, ErrorCode.RateLimited);
  });

  it('TRACK_LIMIT for an offer of five tracks, PUBLISH_IN_PROGRESS for a publish while one is applied', async () => {
    const member = await d.member(freshRoom('codes'));
    refusedWith(await member.request({ type: 'publish', sdp: sdpWith(['audio', '0'], ['video', '1'], ['audio', '2'], ['video', '3'], ['audio', '4']) }), ErrorCode.TrackLimit);
    const [, second] = await Promise.all([member.request({ type: 'publish', sdp: PUBLISH_OFFER }), member.request({ type: 'publish', sdp: PUBLISH_OFFER })]);
    refusedWith(second!, ErrorCode.PublishInProgress);
  });

  // Last: it stops the cluster's Redis.
  if (shape !== 'one node') {
    it('SERVICE_DEGRADED for a relayed request and for a join while Redis is down; both work once it is back', async () => {
      const room = freshRoom('codes');
      const member = await d.member(room);
      const newcomer = await d.connect();
      await d.outage!.begin();
      try {
        refusedWith(await member.request({ type: 'chat', text: 'anyone?' }), ErrorCode.Degraded);
        refusedWith(await newcomer.request({ type: 'join', token: signedToken({ room }), room }), ErrorCode.Degraded);
      } finally {
        await d.outage!.end();
      }
    });
  }
});

describe.each(SHAPES)('MEDIA_CAPACITY, %s', (shape) => {
  const d = deployment(shape);
  // Two participants' media connections (a publisher and a subscriber each) per node.
  beforeAll(() => d.start({ MAX_MEDIA_CONNECTIONS: '4' }));
  afterAll(() => d.stop());

  it('refuses a join to a room whose node has no media connections left', async () => {
    const room = freshRoom('capacity');
    // In the cluster, member() has someone else open the room first: two participants either way.
    if (shape === 'one node') await d.member(room);
    await d.member(room);
    const late = await d.connect();
    refusedWith(await late.request({ type: 'join', token: signedToken({ room }), room }), ErrorCode.MediaCapacity);
  });
});
