// The page's chat log: every message once, in the owner's time order, bounded. A resume
// brings the room's history again; the page must neither repeat nor lose messages.
import { describe, expect, it } from 'vitest';
import { ChatLog } from '../../client/call/chatLog.js';
import type { ChatMessage } from '../../signaling/protocol.js';

const msg = (id: string, at: number): ChatMessage => ({ id, participantId: 'p', name: 'Ann', text: `text ${id}`, at });
const ids = (log: ChatLog): string[] => log.list().map((m) => m.id);

describe('the chat log', () => {
  it('keeps each message once, however often it arrives', () => {
    const log = new ChatLog();
    expect(log.add(msg('a', 1))).toEqual({ index: 0, dropped: 0 });
    expect(log.add(msg('a', 1))).toBeUndefined();
    expect(log.add(msg('b', 2))).toEqual({ index: 1, dropped: 0 });
    expect(ids(log)).toEqual(['a', 'b']);
  });

  it('slots history missed during an interruption in by time, after what was already seen', () => {
    const log = new ChatLog();
    log.add(msg('a', 10));
    log.add(msg('d', 40));
    // The resume's history: a (seen), b and c (missed), d (seen).
    const changes = [msg('a', 10), msg('b', 20), msg('c', 30), msg('d', 40)].map((m) => log.add(m));
    expect(changes).toEqual([undefined, { index: 1, dropped: 0 }, { index: 2, dropped: 0 }, undefined]);
    expect(ids(log)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps messages with the same time in arrival order', () => {
    const log = new ChatLog();
    for (const id of ['x', 'y', 'z']) log.add(msg(id, 5));
    expect(ids(log)).toEqual(['x', 'y', 'z']);
  });

  it('drops the oldest past its bound, and says so, so a view can drop the same', () => {
    const log = new ChatLog(3);
    for (const [i, id] of ['a', 'b', 'c'].entries()) log.add(msg(id, i));
    expect(log.add(msg('d', 10))).toEqual({ index: 2, dropped: 1 });
    expect(ids(log)).toEqual(['b', 'c', 'd']);
    // Older than everything in a full log: in and out at once.
    expect(log.add(msg('old', -1))).toEqual({ index: -1, dropped: 0 });
    expect(ids(log)).toEqual(['b', 'c', 'd']);
    // A dropped message is forgotten: seen again, it counts as new.
    expect(log.add(msg('a', 0))).toEqual({ index: -1, dropped: 0 });
  });
});
