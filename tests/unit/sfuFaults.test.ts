// The SFU keeps its failures to the participant they concern. A publisher's leave
// completes whatever werift throws on the way (removeTrack's "Sender does not exist", after
// a hostile answer); a packet handler or stats tick that throws closes that participant's
// media only, is logged and counted, and never reaches the emitter or timer that called it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, type RTCRtpReceiver } from 'werift';
import { syntheticAudio } from '../../loadtest/media/syntheticRtp.js';
import { RtpStreamStats } from '../../server/sfu/rtpStreamStats.js';
import { SfuParticipant } from '../../server/sfu/sfuParticipant.js';
import type { Grants } from '../../signaling/auth.js';
import type { LogFields, Logger } from '../../signaling/log.js';
import type { MediaParticipantEvents } from '../../signaling/media.js';
import { Sfu } from '../../server/sfu/index.js';
import { localRtcOptions } from '../../loadtest/media/peer.js';

const grants: Grants = { publish: true, subscribe: true, admin: false };
const events: MediaParticipantEvents = { offer: () => undefined, publishing: () => undefined, failed: () => undefined, stats: () => undefined };
const receiver = { sendRtcpPLI: async () => undefined } as unknown as RTCRtpReceiver;

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
    expect(sfu.totals.internalErrors).toBe(4);
    expect(subscribers.map((s) => s.isClosed)).toEqual([false, false]);
    sfu.close();
  });
});

describe('SFU callbacks that throw', () => {
  it("a publisher's packet handler that throws closes that publisher's media only, and is counted", () => {
    const log = recordingLog();
    const sfu = new Sfu({ rtc: localRtcOptions(), log });
    const room = sfu.openRoom('faults');
    const publisherFailures: string[] = [];
    const publisher = room.join('publisher', grants, { ...events, failed: (reason) => void publisherFailures.push(reason) });
    const other = room.join('other', grants, events);
    const track = new MediaStreamTrack({ kind: 'audio' });
    room.trackPublished(publisher, 'audio', track, receiver);
    vi.spyOn(RtpStreamStats.prototype, 'record').mockImplementation(() => {
      throw new TypeError('malformed packet');
    });

    // werift delivers RTP from its UDP socket's handler: nothing may come back out of it.
    expect(() => track.onReceiveRtp.execute(syntheticAudio().packet(0))).not.toThrow();
    expect(publisher.isClosed).toBe(true);
    expect(other.isClosed).toBe(false);
    expect(room.allForwarders()).toEqual([]);
    expect(publisherFailures).toEqual(['internal error in forward RTP']);
    expect(sfu.totals.internalErrors).toBe(1);
    expect(log.errors).toEqual([expect.objectContaining({ fields: expect.objectContaining({ participant: 'publisher', callback: 'forward RTP', error: 'TypeError: malformed packet' }) })]);
    sfu.close();
  });

  it("a stats tick that throws for one participant closes that participant's media only", async () => {
    const log = recordingLog();
    const sfu = new Sfu({ rtc: localRtcOptions(), log, statsIntervalMs: 20 });
    const room = sfu.openRoom('stats');
    const ada = room.join('ada', grants, events);
    const bob = room.join('bob', grants, events);
    const outboundStats = SfuParticipant.prototype.outboundStats;
    vi.spyOn(SfuParticipant.prototype, 'outboundStats').mockImplementation(function (this: SfuParticipant) {
      if (this.id === 'ada') throw new RangeError('bad report');
      return outboundStats.call(this);
    });
    await vi.waitFor(() => expect(ada.isClosed).toBe(true), { timeout: 2000, interval: 10 });
    expect(bob.isClosed).toBe(false);
    expect(room.stats().participants).toBe(1);
    expect(sfu.totals.internalErrors).toBe(1);
    sfu.close();
  });
});
