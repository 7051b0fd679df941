// Room membership: who hears about whom, what happens when the same person joins twice,
// and that an empty room holds nothing.
import { describe, it, expect, vi } from 'vitest';
import type { Grants } from '../../signaling/auth.js';
import type { ServerMessage } from '../../signaling/protocol.js';
import { RoomDirectory, type JoinOutcome, type MemberSink, type Room } from '../../signaling/room.js';
import { FakeMediaPlane } from '../helpers/fakeMedia.js';

/** A member's socket as the room sees it: everything it was sent, and what happened to it. */
class RecordingSink implements MemberSink {
  readonly messages: ServerMessage[] = [];
  readonly mediaFailures: string[] = [];
  replacedCalls = 0;
  movedCalls = 0;

  send(message: ServerMessage): void {
    this.messages.push(message);
  }
  mediaFailed(reason: string): void {
    this.mediaFailures.push(reason);
  }
  replaced(): void {
    this.replacedCalls += 1;
  }
  moved(): void {
    this.movedCalls += 1;
  }
  types(): string[] {
    return this.messages.map((m) => m.type);
  }
}

const everything: Grants = { publish: true, subscribe: true, admin: false };

function setup(maxParticipants = 16) {
  const media = new FakeMediaPlane();
  const rooms = new RoomDirectory(media, maxParticipants);
  return { media, rooms };
}

function join(room: Room, participantId: string, identity = participantId, name = participantId): { outcome: JoinOutcome; sink: RecordingSink } {
  const sink = new RecordingSink();
  const outcome = room.join({ participantId, identity, name, grants: everything, sink });
  return { outcome, sink };
}

function joined(room: Room, participantId: string, identity = participantId) {
  const { outcome, sink } = join(room, participantId, identity);
  if (!outcome.ok) throw new Error(`join of ${participantId} refused: ${outcome.reason}`);
  return { ...outcome, sink };
}

describe('Room: presence', () => {
  it('a participant who joins sees everyone already in the room, and not themselves', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    joined(room, 'bob');
    const carol = joined(room, 'carol');
    expect(carol.others.map((p) => p.id)).toEqual(['ada', 'bob']);
    expect(carol.others[0]).toEqual({ id: 'ada', name: 'ada', publishing: [], muted: { audio: false, video: false }, screen: false });
  });

  it('everyone already in the room hears about a new participant; the newcomer hears nothing', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const bob = joined(room, 'bob');
    expect(ada.sink.messages).toEqual([
      { type: 'participant-joined', participant: { id: 'bob', name: 'bob', publishing: [], muted: { audio: false, video: false }, screen: false } },
    ]);
    expect(bob.sink.messages).toEqual([]);
  });

  it('a participant who leaves is announced to the others with the reason', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const bob = joined(room, 'bob');
    room.leave('bob', 'left');
    expect(ada.sink.messages.at(-1)).toEqual({ type: 'participant-left', participantId: 'bob', reason: 'left' });
    expect(bob.sink.types()).not.toContain('participant-left');
    expect(room.participants().map((p) => p.id)).toEqual(['ada']);
  });

  it('leaving twice is announced once', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    joined(room, 'bob');
    room.leave('bob', 'disconnected');
    room.leave('bob', 'disconnected');
    expect(ada.sink.types().filter((t) => t === 'participant-left')).toHaveLength(1);
  });

  it('mute changes reach the others, and a repeated mute is not announced again', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    joined(room, 'bob');
    room.setMuted('bob', 'audio', true);
    room.setMuted('bob', 'audio', true);
    const updates = ada.sink.messages.filter((m) => m.type === 'participant-updated');
    expect(updates).toEqual([
      { type: 'participant-updated', participant: { id: 'bob', name: 'bob', publishing: [], muted: { audio: true, video: false }, screen: false } },
    ]);
  });

  it('when the SFU reports what a participant publishes, the others hear about it', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const bob = joined(room, 'bob');
    media.participant('bob').events.publishing(['camera', 'microphone']);
    expect(ada.sink.messages.at(-1)).toMatchObject({ type: 'participant-updated', participant: { id: 'bob', publishing: ['audio', 'video'], screen: false } });
    expect(bob.sink.messages).toEqual([]);
    expect(joined(room, 'carol').others.find((p) => p.id === 'bob')?.publishing).toEqual(['audio', 'video']);
  });

  it('a screen share is told apart from the camera: screen true, and the camera still counts as video only while it sends', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    joined(room, 'bob');
    media.participant('bob').events.publishing(['microphone', 'screen']);
    expect(ada.sink.messages.at(-1)).toMatchObject({ type: 'participant-updated', participant: { id: 'bob', publishing: ['audio'], screen: true } });
    media.participant('bob').events.publishing(['camera', 'microphone']);
    expect(ada.sink.messages.at(-1)).toMatchObject({ type: 'participant-updated', participant: { id: 'bob', publishing: ['audio', 'video'], screen: false } });
  });

  it("the SFU's offers go to that participant only", () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const bob = joined(room, 'bob');
    const tracks = [{ mid: '0', participantId: 'ada', kind: 'audio' as const, source: 'microphone' as const }];
    media.participant('bob').events.offer('v=0 offer', tracks);
    expect(bob.sink.messages).toEqual([{ type: 'offer', sdp: 'v=0 offer', tracks }]);
    expect(ada.sink.types()).not.toContain('offer');
  });

  it('one member whose socket throws does not stop the others from hearing the news', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    const broken = joined(room, 'broken');
    broken.sink.send = () => {
      throw new Error('socket gone');
    };
    const ada = joined(room, 'ada');
    joined(room, 'bob');
    expect(ada.sink.types()).toEqual(['participant-joined']);
  });
});

describe('Room: the same identity joins again', () => {
  it('replaces the old member: its sink is told, the others see it leave as replaced and then the new one join', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const firstBob = joined(room, 'bob-1', 'bob');
    const secondBob = joined(room, 'bob-2', 'bob');

    expect(secondBob.replaced?.participantId).toBe('bob-1');
    expect(firstBob.sink.replacedCalls).toBe(1);
    expect(ada.sink.messages.slice(1)).toEqual([
      { type: 'participant-left', participantId: 'bob-1', reason: 'replaced' },
      { type: 'participant-joined', participant: expect.objectContaining({ id: 'bob-2' }) },
    ]);
    expect(secondBob.others.map((p) => p.id)).toEqual(['ada']);
    expect(room.participants().map((p) => p.id)).toEqual(['ada', 'bob-2']);
    expect(media.participant('bob-1').closed).toBe(true);
    expect(media.participant('bob-2').closed).toBe(false);
  });

  it('lets a person rejoin a full room from a new connection', () => {
    const { rooms } = setup(2);
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    joined(room, 'bob-1', 'bob');
    const { outcome } = join(room, 'bob-2', 'bob');
    expect(outcome.ok).toBe(true);
  });

  it('a person alone in the room who rejoins keeps the room open', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    joined(room, 'bob-1', 'bob');
    joined(room, 'bob-2', 'bob');
    expect(room.isClosed).toBe(false);
    expect(media.openRooms()).toHaveLength(1);
    expect(rooms.get('demo')).toBe(room);
  });
});

describe('Room: capacity', () => {
  it('refuses a participant above the limit without telling anyone or opening media for them', () => {
    const { rooms, media } = setup(2);
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    joined(room, 'bob');
    const { outcome, sink } = join(room, 'carol');
    expect(outcome).toEqual({ ok: false, reason: 'full' });
    expect(ada.sink.types()).toEqual(['participant-joined']);
    expect(sink.messages).toEqual([]);
    expect(media.opened[0]?.participants.has('carol')).toBe(false);
    expect(room.size).toBe(2);
  });

  it('takes a new participant again once someone left', () => {
    const { rooms } = setup(1);
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    expect(join(room, 'bob').outcome.ok).toBe(false);
    room.leave('ada', 'left');
    const next = rooms.getOrCreate('demo');
    expect(join(next, 'bob').outcome.ok).toBe(true);
  });
});

describe('Room: lifecycle', () => {
  it('opens its media room on the first join, once', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    expect(media.opened).toHaveLength(0);
    joined(room, 'ada');
    joined(room, 'bob');
    expect(media.opened.map((r) => r.id)).toEqual(['demo']);
  });

  it('when the last member leaves, it closes its media room and leaves the directory', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    joined(room, 'bob');
    room.leave('ada', 'left');
    expect(room.isClosed).toBe(false);
    room.leave('bob', 'disconnected');

    expect(room.isClosed).toBe(true);
    expect(media.openRooms()).toEqual([]);
    expect(media.participant('ada').closed && media.participant('bob').closed).toBe(true);
    expect(rooms.get('demo')).toBeUndefined();
    expect(rooms.stats()).toEqual({ rooms: 0, participants: 0 });
  });

  it('a room used again after it emptied is a fresh room with fresh media', () => {
    const { rooms, media } = setup();
    const first = rooms.getOrCreate('demo');
    joined(first, 'ada');
    first.leave('ada', 'left');
    const second = rooms.getOrCreate('demo');
    expect(second).not.toBe(first);
    joined(second, 'bob');
    expect(media.opened).toHaveLength(2);
    expect(media.openRooms()).toEqual([media.opened[1]]);
  });

  it('a closed room refuses joins instead of silently reopening', () => {
    const { rooms } = setup();
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    room.leave('ada', 'left');
    expect(() => join(room, 'bob')).toThrow(/closed/);
  });

  it('closing every room releases all media and empties the directory', () => {
    const { rooms, media } = setup();
    joined(rooms.getOrCreate('a'), 'ada');
    joined(rooms.getOrCreate('b'), 'bob');
    expect(rooms.stats()).toEqual({ rooms: 2, participants: 2 });
    rooms.closeAll();
    expect(rooms.stats()).toEqual({ rooms: 0, participants: 0 });
    expect(media.openRooms()).toEqual([]);
    expect(media.participant('ada').closed && media.participant('bob').closed).toBe(true);
  });

  it('when the engine loses the room (its worker died), everyone is told to join again and the next join gets fresh media', () => {
    const { rooms, media } = setup();
    const room = rooms.getOrCreate('demo');
    const ada = joined(room, 'ada');
    const bob = joined(room, 'bob');
    media.opened[0]?.events.lost('media worker died');
    expect([ada.sink.movedCalls, bob.sink.movedCalls]).toEqual([1, 1]);
    // Nobody is announced as leaving: they come back.
    expect(ada.sink.types()).not.toContain('participant-left');
    expect(room.isClosed).toBe(true);
    expect(media.openRooms()).toEqual([]);
    joined(rooms.getOrCreate('demo'), 'ada');
    expect(media.opened).toHaveLength(2);
    expect(media.openRooms()).toEqual([media.opened[1]]);
  });

  it('tells a member when its media failed for good', () => {
    const { rooms, media } = setup();
    const ada = joined(rooms.getOrCreate('demo'), 'ada');
    media.participant('ada').events.failed('ice failed');
    expect(ada.sink.mediaFailures).toEqual(['ice failed']);
  });
});

describe('Room: a media engine that throws on close', () => {
  const throwing = (): never => {
    throw new Error('Sender does not exist');
  };

  it('still completes the leave: the others hear participant-left, and the empty room closes', () => {
    const { media, rooms } = setup();
    const room = rooms.getOrCreate('demo');
    joined(room, 'ada');
    const bob = joined(room, 'bob');
    media.participant('ada').close = throwing;
    media.opened[0]!.close = throwing;
    expect(() => room.leave('ada', 'left')).not.toThrow();
    expect(bob.sink.messages).toContainEqual({ type: 'participant-left', participantId: 'ada', reason: 'left' });
    expect(() => room.leave('bob', 'left')).not.toThrow();
    expect(room.isClosed).toBe(true);
    expect(rooms.get('demo')).toBeUndefined();
  });

  it('a leave from the resume grace timer does not throw out of the timer', () => {
    vi.useFakeTimers();
    try {
      const { media, rooms } = setup();
      const room = rooms.getOrCreate('demo');
      joined(room, 'ada');
      const bob = joined(room, 'bob');
      media.participant('ada').close = throwing;
      room.detach('ada', 1000, 'timeout');
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
      expect(bob.sink.messages).toContainEqual({ type: 'participant-left', participantId: 'ada', reason: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });
});
