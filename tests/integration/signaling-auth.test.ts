// Who gets in: refused tokens end with a FORBIDDEN response and the close code that says
// why; a socket that never joins is closed at the deadline.
import { describe, it, expect } from 'vitest';
import { CloseCode, ErrorCode } from '../../signaling/protocol.js';
import { useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { TestClient, freshRoom, within } from '../helpers/wsClient.js';

const JOIN_TIMEOUT_MS = 300;

const fixture = useSignalingServer({ JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS) });
const { clients } = fixture;

async function refusedJoin(token: string, room: string): Promise<{ code: ErrorCode; closeCode: number }> {
  const client = await clients.connect();
  const response = await client.request({ type: 'join', token, room });
  if (response.ok) throw new Error(`join was accepted: ${JSON.stringify(response.result)}`);
  const closed = await client.closed;
  return { code: response.error.code, closeCode: closed.code };
}

describe('signaling auth', () => {
  it('a garbage token is refused with 4002', async () => {
    const room = freshRoom();
    expect(await refusedJoin('not.a.token', room)).toEqual({ code: ErrorCode.Forbidden, closeCode: CloseCode.TokenInvalid });
  });

  it('a token signed with another secret is refused with 4002', async () => {
    const room = freshRoom();
    const token = signedToken({ room, secret: 'some-other-secret-of-at-least-32-characters' });
    expect(await refusedJoin(token, room)).toEqual({ code: ErrorCode.Forbidden, closeCode: CloseCode.TokenInvalid });
  });

  it('an expired token is refused with 4003', async () => {
    const room = freshRoom();
    const token = signedToken({ room, exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await refusedJoin(token, room)).toEqual({ code: ErrorCode.Forbidden, closeCode: CloseCode.TokenExpired });
  });

  it('a token that lives longer than JWT_MAX_LIFETIME_SECONDS (default a day) is refused with 4002', async () => {
    const room = freshRoom();
    const token = signedToken({ room, exp: 253_402_300_799 });
    expect(await refusedJoin(token, room)).toEqual({ code: ErrorCode.Forbidden, closeCode: CloseCode.TokenInvalid });
  });

  it('a token for another room is refused with 4004', async () => {
    const token = signedToken({ room: freshRoom() });
    expect(await refusedJoin(token, freshRoom())).toEqual({ code: ErrorCode.Forbidden, closeCode: CloseCode.RoomMismatch });
  });

  it('a refused participant is not announced to the room', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada' }), room);
    await refusedJoin(signedToken({ room, exp: Math.floor(Date.now() / 1000) - 60 }), room);
    await ada.client.noEvent('participant-joined', 200);
  });

  it(`a socket that sends nothing is closed with 4001 after JOIN_TIMEOUT_MS (${JOIN_TIMEOUT_MS} ms)`, async () => {
    const client = await clients.connect();
    const started = Date.now();
    const closed = await within(client.closed, JOIN_TIMEOUT_MS + 2_000, 'close at the join deadline');
    expect(closed.code).toBe(CloseCode.AuthTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(JOIN_TIMEOUT_MS - 50);
  });

  it('a socket that joins in time outlives the join deadline', async () => {
    const room = freshRoom();
    const { client } = await clients.joined(signedToken({ room }), room);
    await client.noEvent('error', JOIN_TIMEOUT_MS * 2);
    expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
  });

  it('refuses the WebSocket upgrade on any path but /ws', async () => {
    await expect(TestClient.connect(`ws://127.0.0.1:${fixture.server.port}/socket`)).rejects.toThrow(/HTTP 404/);
  });
});
