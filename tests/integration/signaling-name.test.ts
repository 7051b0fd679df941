// Changing one's display name mid-call (`set-name`) against the real server process, on
// one node and across three on Redis: who hears of it, what later messages and late
// joiners see, and what is refused.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../signaling/protocol.js';
import { SHAPES, useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom } from '../helpers/wsClient.js';

describe.each(SHAPES)('set-name, %s', (shape) => {
  const { clients } = useSignalingServer({}, shape);
  const join = (room: string, name: string) => clients.joined(signedToken({ room, name, identity: name.toLowerCase() }), room);

  it('the others see the new name at once, later chat carries it, and a late joiner finds it', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const bob = await join(room, 'Bob');
    expect(await ada.client.request({ type: 'set-name', name: '  Ada Lovelace  ' })).toMatchObject({ ok: true, result: { name: 'Ada Lovelace' } });
    const { participant } = await bob.client.nextEvent('participant-updated');
    expect(participant).toMatchObject({ id: ada.result.participantId, name: 'Ada Lovelace' });
    // The renamer is not told of its own change: the response said it.
    await ada.client.noEvent('participant-updated', 200);

    expect(await ada.client.request({ type: 'chat', text: 'hi' })).toMatchObject({ ok: true });
    expect((await bob.client.nextEvent('chat')).message.name).toBe('Ada Lovelace');
    const cy = await join(room, 'Cy');
    expect(cy.result.participants.find((p) => p.id === ada.result.participantId)?.name).toBe('Ada Lovelace');
  });

  it('refuses a name a token could not carry, and a flood, and keeps the old name meanwhile', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const bob = await join(room, 'Bob');
    for (const name of ['', '   ', 'x'.repeat(41), 'line\nbreak', 7]) {
      expect(await ada.client.request({ type: 'set-name', name })).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage } });
    }
    await bob.client.noEvent('participant-updated', 200);
    // A burst of three passes; the fourth at once is refused.
    const flood = await Promise.all(['A1', 'A2', 'A3', 'A4'].map((name) => ada.client.request({ type: 'set-name', name })));
    expect(flood.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(flood.at(-1)).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push((await bob.client.nextEvent('participant-updated')).participant.name);
    expect(names).toEqual(['A1', 'A2', 'A3']);
  });
});
