// The load generator's media counting (loadtest/media/rtpCounting.ts): loss from RTP
// sequence gaps across the 16-bit wrap, with reordering and duplicates, and video freezes.
import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../loadtest/options.js';
import { FreezeDetector, ReceivedStream, REORDER_WINDOW, SequenceCounter } from '../../loadtest/media/rtpCounting.js';
import { syntheticVideo } from '../../loadtest/media/syntheticRtp.js';

function counted(seqs: number[]): ReturnType<SequenceCounter['snapshot']> {
  const c = new SequenceCounter();
  for (const s of seqs) c.record(s);
  return c.snapshot();
}

describe('loss from sequence numbers', () => {
  it('a stream in order has no loss', () => {
    expect(counted([100, 101, 102, 103])).toEqual({ received: 4, expected: 4, lost: 0, duplicates: 0, reordered: 0, late: 0 });
  });

  it('counts the packets missing from gaps', () => {
    expect(counted([10, 11, 14, 15, 20])).toMatchObject({ received: 5, expected: 11, lost: 6 });
  });

  it('wraps at 65536 without inventing or hiding loss', () => {
    expect(counted([65533, 65534, 65535, 0, 1, 2])).toMatchObject({ received: 6, expected: 6, lost: 0 });
    expect(counted([65534, 65535, 1, 2])).toMatchObject({ received: 4, expected: 5, lost: 1 });
  });

  it('keeps counting over many wraps', () => {
    const seqs: number[] = [];
    for (let i = 0; i < 3 * 65536 + 10; i++) if (i % 1000 !== 0) seqs.push((40_000 + i) & 0xffff);
    const s = counted(seqs);
    expect(s.expected).toBe(3 * 65536 + 10 - 1); // from the first to the last packet received
    expect(s.lost).toBe(Math.floor((3 * 65536 + 9) / 1000)); // every 1000th, less the first (never the range's start)
  });

  it('a reordered packet fills its gap, also across the wrap', () => {
    expect(counted([1, 2, 4, 3, 5])).toEqual({ received: 5, expected: 5, lost: 0, duplicates: 0, reordered: 1, late: 0 });
    expect(counted([65534, 0, 65535, 1])).toMatchObject({ received: 4, expected: 4, lost: 0, reordered: 1 });
  });

  it('a packet from before the first one received widens the range', () => {
    expect(counted([5, 6, 3, 7])).toMatchObject({ received: 4, expected: 5, lost: 1, reordered: 1 });
    expect(counted([1, 65535, 2])).toMatchObject({ received: 3, expected: 4, lost: 1 });
  });

  it('duplicates count once and never make loss negative', () => {
    expect(counted([1, 2, 2, 3, 1, 3, 3])).toEqual({ received: 3, expected: 3, lost: 0, duplicates: 4, reordered: 0, late: 0 });
    expect(counted([65535, 0, 65535, 0])).toMatchObject({ received: 2, expected: 2, lost: 0, duplicates: 2 });
  });

  it('a packet older than the window is late and ignored', () => {
    const c = new SequenceCounter();
    c.record(0);
    c.record(REORDER_WINDOW + 10);
    c.record(5);
    expect(c.snapshot()).toMatchObject({ received: 2, expected: REORDER_WINDOW + 11, late: 1 });
  });

  it('nothing received, nothing expected', () => {
    expect(counted([])).toEqual({ received: 0, expected: 0, lost: 0, duplicates: 0, reordered: 0, late: 0 });
  });
});

describe('freezes', () => {
  it('a stream with packets every 30 ms never freezes', () => {
    const f = new FreezeDetector();
    for (let t = 1000; t < 5000; t += 30) f.record(t);
    expect(f.snapshot(5000)).toEqual({ freezes: 0, frozenMs: 0 });
  });

  it('a gap of more than 500 ms is one freeze, counted whole; 500 ms exactly is not', () => {
    const f = new FreezeDetector();
    f.record(0);
    f.record(500);
    f.record(1300);
    f.record(1330);
    f.record(2530);
    expect(f.snapshot(2540)).toEqual({ freezes: 2, frozenMs: 800 + 1200 });
  });

  it('time before the first packet is not a freeze; a silence still open at the snapshot is', () => {
    const f = new FreezeDetector();
    expect(f.snapshot(10_000)).toEqual({ freezes: 0, frozenMs: 0 });
    f.record(10_000);
    expect(f.snapshot(10_400)).toEqual({ freezes: 0, frozenMs: 0 });
    expect(f.snapshot(11_000)).toEqual({ freezes: 1, frozenMs: 1000 });
    // The snapshot does not change the count: the gap closes when a packet arrives.
    f.record(11_200);
    expect(f.snapshot(11_210)).toEqual({ freezes: 1, frozenMs: 1200 });
  });

  it('only video streams are judged for freezes', () => {
    const audio = new ReceivedStream('audio', 1);
    const video = new ReceivedStream('video', 2);
    for (const s of [audio, video]) {
      s.record(1, 0);
      s.record(2, 2000);
    }
    expect(audio.snapshot(2000)).toMatchObject({ kind: 'audio', freezes: 0, received: 2 });
    expect(video.snapshot(2000)).toMatchObject({ kind: 'video', freezes: 1, frozenMs: 2000 });
  });
});

describe('synthetic video', () => {
  it('frames of 3 packets at 100 pkt/s: a VP8 start byte on the first, the marker on the last, one timestamp per frame', () => {
    const video = syntheticVideo({ packetsPerSecond: 100 });
    const packets = Array.from({ length: 6 }, (_, i) => video.packet(i));
    expect(packets.map((p) => p.payload[0])).toEqual([0x10, 0, 0, 0x10, 0, 0]);
    expect(packets.map((p) => p.header.marker)).toEqual([false, false, true, false, false, true]);
    expect(packets.map((p) => p.payload.length)).toEqual(Array(6).fill(1000));
    const [t0, t3] = [packets[0]!.header.timestamp, packets[3]!.header.timestamp];
    expect(packets[2]!.header.timestamp).toBe(t0);
    expect((t3 - t0) >>> 0).toBe(2700); // 90 kHz / (100 / 3) frames a second
    expect((packets[5]!.header.sequenceNumber - packets[0]!.header.sequenceNumber) & 0xffff).toBe(5);
  });

  it('marks every tenth frame a VP8 keyframe (P bit clear), so an SFU that waits for one (mediasoup) forwards video', () => {
    const video = syntheticVideo({ packetsPerSecond: 30, framesPerSecond: 30 });
    const isKeyframe = (i: number): boolean => (video.packet(i).payload[1]! & 0x01) === 0;
    expect(Array.from({ length: 21 }, (_, i) => i).filter(isKeyframe)).toEqual([0, 10, 20]);
  });
});

describe('--media flags', () => {
  const parse = (...argv: string[]) => parseLoadArgs(['--url', 'ws://127.0.0.1:8080/ws', ...argv]);

  it('defaults: one publisher per room, 100 video packets/s, loopback', () => {
    const r = parse('--scenario', 'fanout', '--media');
    expect(r.ok && r.options.media).toEqual({ publishersPerRoom: 1, videoPacketsPerSecond: 100, ip: '127.0.0.1' });
    const off = parse();
    expect(off.ok && off.options.media).toBeUndefined();
  });

  it('refuses media flags without --media, with --bare, with churn, and a non-loopback --media-ip', () => {
    const error = (...argv: string[]): string => {
      const r = parse(...argv);
      return r.ok || r.help ? '' : r.error;
    };
    expect(error('--publishers', '2')).toContain('--publishers needs --media');
    expect(error('--media', '--bare')).toContain('not --bare');
    expect(error('--media', '--scenario', 'churn')).toContain('--media works with --scenario join-storm or fanout');
    expect(error('--media', '--media-ip', '10.0.0.1')).toContain('refusing --media-ip 10.0.0.1');
    expect(error('--media', '--media-ip', 'nope')).toContain('--media-ip must be an IPv4 address');
    expect(error('--media', '--video-pps', '0')).toContain('--video-pps must be at least 1');
  });
});
