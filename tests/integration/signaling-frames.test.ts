// Frames a broken or hostile client might send: each costs an error, not the connection,
// until the client keeps it up; nothing a client sends takes the server down.
import { describe, it, expect } from 'vitest';
import { CloseCode, ErrorCode, MAX_MESSAGE_BYTES } from '../../signaling/protocol.js';
import { useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom, type TestClient } from '../helpers/wsClient.js';

const fixture = useSignalingServer();
const { clients } = fixture;

async function expectStillServing(client: TestClient): Promise<void> {
  expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true, result: { t: expect.any(Number) } });
}

describe('malformed frames', () => {
  it('a frame that is not JSON gets BAD_JSON without an id, and the socket keeps working', async () => {
    const client = await clients.connect();
    client.sendRaw('{"type":"ping",');
    expect(await client.nextEvent('error')).toEqual({ type: 'error', error: { code: ErrorCode.BadJson, message: expect.any(String) } });
    await expectStillServing(client);
  });

  it('an unknown type is answered by id with UNKNOWN_TYPE', async () => {
    const client = await clients.connect();
    expect(await client.request({ type: 'subscribe' })).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownType } });
    await expectStillServing(client);
  });

  it('a field of the wrong type is answered by id with BAD_MESSAGE naming the field', async () => {
    const client = await clients.connect();
    const response = await client.request({ type: 'join', token: 42, room: 'demo' });
    expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage, message: expect.stringMatching(/^token:/) } });
    await expectStillServing(client);
  });

  it('a field the protocol does not define is refused', async () => {
    const client = await clients.connect();
    expect(await client.request({ type: 'ping', admin: true })).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage } });
  });

  it('a message without a readable id gets an error event without an id', async () => {
    const client = await clients.connect();
    client.sendRaw(JSON.stringify({ type: 'ping', id: 'one' }));
    expect(await client.nextEvent('error')).toMatchObject({ error: { code: ErrorCode.BadMessage } });
  });

  it('requests before join are answered with NOT_JOINED', async () => {
    const client = await clients.connect();
    expect(await client.request({ type: 'publish', sdp: 'v=0' })).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } });
  });

  it('a 10 KB frame whose type is nested 5,000 levels deep gets UNKNOWN_TYPE, and the server stays up', async () => {
    const client = await clients.connect();
    client.sendRaw(`{"type":${'['.repeat(5000)}${']'.repeat(5000)},"id":1}`);
    expect(await client.response(1)).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownType, message: 'unknown message type an array' } });
    expect((await fetch(`${fixture.server.url}/healthz`)).status).toBe(200);
    await expectStillServing(client);
  });

  it('a binary frame is answered with BAD_MESSAGE', async () => {
    const client = await clients.connect();
    client.socket.send(Buffer.from(JSON.stringify({ type: 'ping', id: 1 })), { binary: true });
    expect(await client.nextEvent('error')).toMatchObject({ error: { code: ErrorCode.BadMessage } });
    await expectStillServing(client);
  });
});

describe('frame size limits', () => {
  it('a 100 KiB frame gets TOO_LARGE and the connection stays', async () => {
    const client = await clients.connect();
    client.sendRaw(JSON.stringify({ type: 'publish', id: 1, sdp: 'a'.repeat(100 * 1024) }));
    expect(await client.nextEvent('error')).toMatchObject({ error: { code: ErrorCode.TooLarge } });
    await expectStillServing(client);
  });

  it('a frame just under 64 KiB is read', async () => {
    const client = await clients.connect();
    const frame = JSON.stringify({ type: 'publish', id: 1, sdp: '' });
    client.sendRaw(JSON.stringify({ type: 'publish', id: 1, sdp: 'a'.repeat(MAX_MESSAGE_BYTES - frame.length) }));
    // Read and validated: it fails for not having joined, not for its size.
    expect(await client.response(1)).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } });
  });

  it('a 2 MiB frame closes the socket with 1009, and the server goes on serving others', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada' }), room);
    const bob = await clients.joined(signedToken({ room, name: 'Bob' }), room);
    bob.client.sendRaw('x'.repeat(2 * 1024 * 1024));
    expect((await bob.client.closed).code).toBe(CloseCode.TooBig);
    expect(await ada.client.nextEvent('participant-joined')).toMatchObject({ participant: { id: bob.result.participantId } });
    expect(await ada.client.nextEvent('participant-left')).toMatchObject({ participantId: bob.result.participantId, reason: 'disconnected' });

    const health = await fetch(`${fixture.server.url}/healthz`);
    expect(health.status).toBe(200);
    const carol = await clients.joined(signedToken({ room, name: 'Carol' }), room);
    expect(carol.result.participants.map((p) => p.name)).toEqual(['Ada']);
  });
});

describe('misbehaviour and rate limits', () => {
  it('20 bad frames within 10 s close the socket with 4008', async () => {
    const client = await clients.connect();
    for (let i = 0; i < 20; i++) client.sendRaw('nonsense');
    expect(await client.closed).toEqual({ code: CloseCode.Misbehaving, reason: 'too many invalid messages' });
  });

  it('19 bad frames cost 19 errors and nothing more', async () => {
    const client = await clients.connect();
    for (let i = 0; i < 19; i++) client.sendRaw('nonsense');
    for (let i = 0; i < 19; i++) await client.nextEvent('error');
    await expectStillServing(client);
  });

  it('a burst above 100 requests is answered with RATE_LIMITED, one response per request', async () => {
    const client = await clients.connect();
    const count = 110;
    for (let id = 1; id <= count; id++) client.sendRaw(JSON.stringify({ type: 'ping', id }));
    const responses = await Promise.all(Array.from({ length: count }, (_, i) => client.response(i + 1)));
    const limited = responses.filter((r) => !r.ok && r.error.code === ErrorCode.RateLimited);
    // 100 from the burst, plus the few the bucket refills while the frames are in flight.
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(responses.filter((r) => r.ok).length).toBeGreaterThanOrEqual(100);
  });
});
