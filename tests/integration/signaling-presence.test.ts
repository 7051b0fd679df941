// Presence against the real server process: who sees whom join, leave, drop and rejoin.
import { describe, it, expect } from 'vitest';
import { CloseCode } from '../../signaling/protocol.js';
import { devToken } from '../helpers/serverProcess.js';
import { SHAPES, useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom } from '../helpers/wsClient.js';



describe.each(SHAPES)('signaling presence, %s', (shape) => {
  const fixture = useSignalingServer({}, shape);
  const { clients } = fixture;
  /** A token from the server's own development endpoint. */
  const token = (room: string, name: string): Promise<string> => devToken(fixture.server.url, room, name);

  it('a participant who joins sees everyone already in the room, and they see the newcomer', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    expect(ada.result).toMatchObject({ protocol: 1, name: 'Ada', room, participants: [], grants: { publish: true, subscribe: true } });

    const bob = await clients.joined(await token(room, 'Bob'), room);
    expect(bob.result.participants).toEqual([{ id: ada.result.participantId, name: 'Ada', publishing: [], muted: { audio: false, video: false }, screen: false }]);

    const joined = await ada.client.nextEvent('participant-joined');
    expect(joined.participant).toEqual({ id: bob.result.participantId, name: 'Bob', publishing: [], muted: { audio: false, video: false }, screen: false });
    await bob.client.noEvent('participant-joined', 200);
  });

  it('participants in other rooms hear nothing', async () => {
    const [roomA, roomB] = [freshRoom(), freshRoom()];
    const ada = await clients.joined(await token(roomA, 'Ada'), roomA);
    const bob = await clients.joined(await token(roomB, 'Bob'), roomB);
    expect(bob.result.participants).toEqual([]);
    await ada.client.noEvent('participant-joined', 200);
  });

  it('a participant who leaves is answered, closed with 1000, and the others see "left"', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    const bob = await clients.joined(await token(room, 'Bob'), room);

    const response = await bob.client.request({ type: 'leave' });
    expect(response).toMatchObject({ ok: true, result: {} });
    expect(await bob.client.closed).toEqual({ code: CloseCode.Normal, reason: 'left' });
    expect(await ada.client.nextEvent('participant-left')).toEqual({ type: 'participant-left', participantId: bob.result.participantId, reason: 'left' });
  });

  it('a participant whose connection drops is announced as "disconnected"', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    const bob = await clients.joined(await token(room, 'Bob'), room);
    bob.client.terminate();
    expect(await ada.client.nextEvent('participant-left')).toEqual({ type: 'participant-left', participantId: bob.result.participantId, reason: 'disconnected' });
  });

  it('a participant who closes the socket without leaving is announced as "disconnected"', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    const bob = await clients.joined(await token(room, 'Bob'), room);
    await bob.client.close();
    expect(await ada.client.nextEvent('participant-left')).toMatchObject({ participantId: bob.result.participantId, reason: 'disconnected' });
  });

  it('a mute is announced to the others', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    const bob = await clients.joined(await token(room, 'Bob'), room);
    expect(await bob.client.request({ type: 'mute', kind: 'audio', muted: true })).toMatchObject({ ok: true });
    const updated = await ada.client.nextEvent('participant-updated');
    expect(updated.participant).toMatchObject({ id: bob.result.participantId, muted: { audio: true, video: false } });
  });

  it('joining again with the same identity closes the old socket with 4009; the others see "replaced", then the new join', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const first = await clients.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    await ada.client.nextEvent('participant-joined');

    const second = await clients.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    expect((await first.client.closed).code).toBe(CloseCode.Replaced);
    expect(second.result.participants.map((p) => p.id)).toEqual([ada.result.participantId]);
    expect(await ada.client.nextEvent('participant-left')).toEqual({ type: 'participant-left', participantId: first.result.participantId, reason: 'replaced' });
    expect((await ada.client.nextEvent('participant-joined')).participant.id).toBe(second.result.participantId);
    // The replaced socket closing must not announce the person a second time.
    await ada.client.noEvent('participant-left', 200);
  });

  it('a room that emptied can be joined again from scratch', async () => {
    const room = freshRoom();
    const ada = await clients.joined(await token(room, 'Ada'), room);
    await ada.client.request({ type: 'leave' });
    await ada.client.closed;
    const bob = await clients.joined(await token(room, 'Bob'), room);
    expect(bob.result.participants).toEqual([]);
  });
});
