// Chat against the real server process, on one node and across three on Redis: who gets
// a message, in what order, what a late joiner sees, and what is refused.
import { describe, expect, it } from 'vitest';
import { CHAT_HISTORY, CHAT_MAX_CHARS, ErrorCode } from '../../signaling/protocol.js';
import { SHAPES, useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom, type TestClient } from '../helpers/wsClient.js';

/** The next `count` chat events' texts, in arrival order. */
async function chatTexts(client: TestClient, count: number): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < count; i++) texts.push((await client.nextEvent('chat')).message.text);
  return texts;
}

describe.each(SHAPES)('chat, %s', (shape) => {
  const { clients } = useSignalingServer({}, shape);
  const join = (room: string, name: string) => clients.joined(signedToken({ room, name, identity: name.toLowerCase() }), room);

  it('a message reaches everyone in the room, the sender included, stamped with the sender’s id and name', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const bob = await join(room, 'Bob');
    const response = await ada.client.request({ type: 'chat', text: 'hello <b>all</b>' });
    expect(response).toMatchObject({ ok: true, result: { id: expect.any(String) } });
    for (const c of [ada.client, bob.client]) {
      const { message } = await c.nextEvent('chat');
      expect(message).toEqual({ id: (response as { result: { id: string } }).result.id, participantId: ada.result.participantId, name: 'Ada', text: 'hello <b>all</b>', at: expect.any(Number) });
    }
  });

  it('messages from two senders arrive in the same order for everyone', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const bob = await join(room, 'Bob');
    const cy = await join(room, 'Cy');
    await Promise.all([
      ...[1, 2, 3].map((n) => ada.client.request({ type: 'chat', text: `ada ${n}` })),
      ...[1, 2, 3].map((n) => bob.client.request({ type: 'chat', text: `bob ${n}` })),
    ]);
    const seen = await Promise.all([ada, bob, cy].map((p) => chatTexts(p.client, 6)));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    // Each sender's own messages keep their order.
    expect(seen[0]!.filter((t) => t.startsWith('ada'))).toEqual(['ada 1', 'ada 2', 'ada 3']);
  });

  it('a late joiner gets the room’s latest messages in its join result; another room hears nothing', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const elsewhere = await join(freshRoom(), 'Eve');
    for (const text of ['one', 'two', 'three']) {
      expect(await ada.client.request({ type: 'chat', text })).toMatchObject({ ok: true });
    }
    const bob = await join(room, 'Bob');
    expect(bob.result.chat.map((m) => [m.name, m.text])).toEqual([
      ['Ada', 'one'],
      ['Ada', 'two'],
      ['Ada', 'three'],
    ]);
    await elsewhere.client.noEvent('chat', 200);
  });

  it('refuses an empty or oversized message and a flood, and keeps the room’s chat working', async () => {
    const room = freshRoom();
    const ada = await join(room, 'Ada');
    const bob = await join(room, 'Bob');
    expect(await ada.client.request({ type: 'chat', text: '   ' })).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage, message: expect.stringMatching(/empty/) } });
    expect(await ada.client.request({ type: 'chat', text: 'x'.repeat(CHAT_MAX_CHARS + 1) })).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage } });
    expect(await ada.client.request({ type: 'chat', text: 7 })).toMatchObject({ ok: false, error: { code: ErrorCode.BadMessage } });
    // A burst of five passes; the sixth at once is refused.
    const flood = await Promise.all(Array.from({ length: 6 }, (_, i) => ada.client.request({ type: 'chat', text: `flood ${i}` })));
    expect(flood.filter((r) => r.ok)).toHaveLength(5);
    expect(flood.at(-1)).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } });
    expect(await chatTexts(bob.client, 5)).toEqual(['flood 0', 'flood 1', 'flood 2', 'flood 3', 'flood 4']);
    // Bob's own allowance is untouched by Ada's flood.
    expect(await bob.client.request({ type: 'chat', text: 'still here' })).toMatchObject({ ok: true });
    expect((await ada.client.nextEvent('chat')).message.text).toBe('flood 0');
  });

  it('keeps only the latest CHAT_HISTORY messages, and an emptied room starts over', async () => {
    const room = freshRoom();
    const senders = await Promise.all(Array.from({ length: 11 }, (_, i) => join(room, `P${i}`)));
    // Five messages each (one burst) from eleven people: 55, of which the newest 50 are kept.
    for (const s of senders) await Promise.all(Array.from({ length: 5 }, (_, n) => s.client.request({ type: 'chat', text: `${s.result.name} ${n}` })));
    const late = await join(room, 'Late');
    expect(late.result.chat).toHaveLength(CHAT_HISTORY);
    expect(late.result.chat[0]!.text).toBe('P1 0');
    expect(late.result.chat.at(-1)!.text).toBe('P10 4');

    for (const p of [...senders, late]) await p.client.request({ type: 'leave' });
    const fresh = await join(room, 'Fresh');
    expect(fresh.result.chat).toEqual([]);
  });
});
