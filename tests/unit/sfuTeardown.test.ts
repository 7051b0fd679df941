// A publisher's leave completes whatever the engine throws on the way: when werift's
// removeTrack throws for one subscriber ("Sender does not exist", after a hostile answer),
// the publisher's forwarders still close and every subscriber still lets go of them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, type RTCRtpReceiver } from 'werift';
import type { Grants } from '../../signaling/auth.js';
import type { LogFields, Logger } from '../../signaling/log.js';
import type { MediaParticipantEvents } from '../../signaling/media.js';
import { Sfu } from '../../server/sfu/index.js';
import { localRtcOptions } from '../../loadtest/media/peer.js';

const grants: Grants = { publish: true, subscribe: true, admin: false };
const events: MediaParticipantEvents = { offer: () => undefined, publishing: () => undefined, failed: () => undefined, stats: () => undefined };

function recordingLog(): Logger & { errors: Array<{ msg: string; fields?: LogFields }> } {
  const errors: Array<{ msg: string; fields?: LogFields }> = [];
  const none = (): void => undefined;
  return { errors, debug: none, info: none, warn: none, error: (msg, fields) => errors.push({ msg, fields }) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SFU teardown', () => {
  it('a publisher leaves completely although removeTrack throws for each of its subscribers', () => {
    const log = recordingLog();
    const sfu = new Sfu({ rtc: localRtcOptions(), log });
    const room = sfu.openRoom('teardown');
    const publisher = room.join('publisher', grants, events);
    const subscribers = [room.join('ada', grants, events), room.join('bob', grants, events)];
    const receiver = { sendRtcpPLI: async () => undefined } as unknown as RTCRtpReceiver;
    room.trackPublished(publisher, 'audio', new MediaStreamTrack({ kind: 'audio' }), receiver);
    room.trackPublished(publisher, 'video', new MediaStreamTrack({ kind: 'video' }), receiver);
    const forwarders = room.allForwarders();
    expect(forwarders.map((f) => f.subscriberCount)).toEqual([2, 2]);

    vi.spyOn(RTCPeerConnection.prototype, 'removeTrack').mockImplementation(() => {
      throw new Error('Sender does not exist');
    });

    expect(() => publisher.close()).not.toThrow();
    expect(room.allForwarders()).toEqual([]);
    expect(forwarders.map((f) => [f.isClosed, f.subscriberCount])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    expect(room.stats().participants).toBe(2);
    expect(log.errors.filter((e) => e.fields?.step === 'remove the track')).toHaveLength(4);
    expect(subscribers.map((s) => s.isClosed)).toEqual([false, false]);
    sfu.close();
  });
});
