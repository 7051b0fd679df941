import { describe, expect, it } from 'vitest';
import { connectionFigures } from '../../client/call/stats/report.js';
import type { StreamFigures } from '../../client/call/stats/rtpStreams.js';
import { publisherFirst, publisherSecond, relayedOverTls, subscriberFirst, subscriberSecond } from './fixtures/chromeStats.js';
import { edit, entry, numbersIn } from './fixtures/edit.js';

const AUDIO_OUT = 'OT01A568567679';
const VIDEO_OUT = 'OT01V1774561952';
const AUDIO_IN = 'IT01A3101013992';
const VIDEO_IN = 'IT01V3228574979';

function stream(streams: StreamFigures[], direction: 'inbound' | 'outbound', kind: 'audio' | 'video'): StreamFigures {
  const found = streams.find((s) => s.direction === direction && s.kind === kind);
  if (!found) throw new Error(`no ${direction} ${kind} stream`);
  return found;
}

/** Seconds between the two recorded samples of one stream. */
function seconds(id: string, first = subscriberFirst, second = subscriberSecond): number {
  return (entry(second, id).timestamp - entry(first, id).timestamp) / 1000;
}

describe('figures of what this page receives (inbound-rtp)', () => {
  const { streams } = connectionFigures(subscriberFirst, subscriberSecond);
  const audio = stream(streams, 'inbound', 'audio');
  const video = stream(streams, 'inbound', 'video');

  it('computes the bitrate from the byte counters over the interval', () => {
    expect(video.bitrateKbps).toBeCloseTo(((173031 - 156640) * 8) / seconds(VIDEO_IN) / 1000, 6);
    expect(audio.bitrateKbps).toBeCloseTo(((22214 - 18828) * 8) / seconds(AUDIO_IN) / 1000, 6);
  });

  it('reports jitter in ms and the jitter-buffer delay of the samples emitted in the interval', () => {
    expect(audio.jitterMs).toBeCloseTo(1, 6);
    expect(video.jitterMs).toBeCloseTo(entry(subscriberSecond, VIDEO_IN).jitter as number * 1000, 6);
    expect(audio.jitterBufferMs).toBeCloseTo(((15177.6 - 12931.2) / (353280 - 302400)) * 1000, 6);
    expect(video.jitterBufferMs).toBeCloseTo(((4.403921 - 4.23569) / (135 - 122)) * 1000, 3);
  });

  it('reads no loss when no packet was lost, and the video details Chromium gives', () => {
    expect(audio.lossPercent).toBe(0);
    expect(video.lossPercent).toBe(0);
    expect(video).toMatchObject({ fps: 12, width: 640, height: 480, freezeCount: 0, nackCount: 0, pliCount: 0, codec: 'video/VP8', mid: '1' });
    expect(audio).toMatchObject({ codec: 'audio/OPUS', mid: '0', trackIdentifier: 'hResWZN8' });
    expect(audio.fps).toBeUndefined();
  });

  it('computes loss over the interval from counter deltas, not from the totals', () => {
    // 100 lost before the first sample, 6 more in the interval while 19 arrived.
    const first = edit(subscriberFirst, VIDEO_IN, { packetsLost: 100 });
    const second = edit(subscriberSecond, VIDEO_IN, { packetsLost: 106 });
    const video = stream(connectionFigures(first, second).streams, 'inbound', 'video');
    expect(video.lossPercent).toBeCloseTo((6 / (6 + (237 - 218))) * 100, 6);
    expect(video.packetsLost).toBe(106);
  });

  it('counts a cumulative loss that went down (duplicates arrived) as no loss, never negative', () => {
    const first = edit(subscriberFirst, AUDIO_IN, { packetsLost: 10 });
    const second = edit(subscriberSecond, AUDIO_IN, { packetsLost: 7 });
    expect(stream(connectionFigures(first, second).streams, 'inbound', 'audio').lossPercent).toBe(0);
  });

  it('falls back to decoded frames over the interval when framesPerSecond is missing', () => {
    const second = edit(subscriberSecond, VIDEO_IN, { framesPerSecond: undefined });
    const video = stream(connectionFigures(subscriberFirst, second).streams, 'inbound', 'video');
    expect(video.fps).toBeCloseTo((135 - 122) / seconds(VIDEO_IN), 6);
  });

  it('has no rates and no loss on the first sample, but jitter and the buffer delay so far', () => {
    const { streams } = connectionFigures(undefined, subscriberFirst);
    const audio = stream(streams, 'inbound', 'audio');
    expect(audio.bitrateKbps).toBeUndefined();
    expect(audio.lossPercent).toBeUndefined();
    expect(audio.jitterMs).toBeCloseTo(2, 6);
    expect(audio.jitterBufferMs).toBeCloseTo((12931.2 / 302400) * 1000, 6);
    expect(stream(streams, 'inbound', 'video').fps).toBe(17);
  });

  it('treats counters that went down as a new stream: no rates, no negative figures', () => {
    // The stream restarted: every counter is small again.
    const restarted = edit(subscriberSecond, VIDEO_IN, { bytesReceived: 4000, packetsReceived: 5, framesDecoded: 1, jitterBufferEmittedCount: 1, jitterBufferDelay: 0.02 });
    const video = stream(connectionFigures(subscriberFirst, restarted).streams, 'inbound', 'video');
    expect(video.bitrateKbps).toBeUndefined();
    expect(video.lossPercent).toBeUndefined();
    expect(video.jitterBufferMs).toBeCloseTo(20, 6);
    expect(numbersIn(video).every((n) => Number.isFinite(n) && n >= 0)).toBe(true);
  });

  it('treats a new SSRC under the same stats id as a new stream', () => {
    const other = edit(subscriberSecond, AUDIO_IN, { ssrc: 42 });
    expect(stream(connectionFigures(subscriberFirst, other).streams, 'inbound', 'audio').bitrateKbps).toBeUndefined();
  });

  it('leaves out what the browser did not report, and never produces NaN', () => {
    const sparse = [subscriberFirst, subscriberSecond].map((snapshot) =>
      edit(edit(snapshot, VIDEO_IN, { packetsLost: undefined, jitter: undefined, framesPerSecond: undefined, framesDecoded: undefined, codecId: 'gone', jitterBufferEmittedCount: 0 }), AUDIO_IN, {
        jitter: 'n/a',
        bytesReceived: undefined,
      }),
    );
    const { streams } = connectionFigures(sparse[0], sparse[1] ?? []);
    const video = stream(streams, 'inbound', 'video');
    const audio = stream(streams, 'inbound', 'audio');
    for (const field of ['lossPercent', 'jitterMs', 'fps', 'codec', 'jitterBufferMs'] as const) expect(video[field]).toBeUndefined();
    expect(audio.jitterMs).toBeUndefined();
    expect(audio.bitrateKbps).toBeUndefined();
    expect(Object.keys(video)).not.toContain('lossPercent');
    expect(numbersIn(streams).some(Number.isNaN)).toBe(false);
  });

  it('ignores an RTP stream of a kind it does not know', () => {
    const odd = edit(subscriberSecond, VIDEO_IN, { kind: 'data', mediaType: undefined });
    expect(connectionFigures(subscriberFirst, odd).streams.map((s) => s.kind)).toEqual(['audio']);
  });
});

describe('figures of what this page sends (outbound-rtp and the receiver reports about it)', () => {
  const figures = connectionFigures(publisherFirst, publisherSecond);
  const audio = stream(figures.streams, 'outbound', 'audio');
  const video = stream(figures.streams, 'outbound', 'video');

  it('computes the sending bitrate and reads the encoder figures', () => {
    const interval = seconds(VIDEO_OUT, publisherFirst, publisherSecond);
    expect(video.bitrateKbps).toBeCloseTo(((186657 - 167490) * 8) / interval / 1000, 6);
    expect(video).toMatchObject({ fps: 16, width: 640, height: 480, pliCount: 1, nackCount: 0, codec: 'video/VP8' });
    expect(video.qualityLimitation).toBeUndefined();
    expect(audio.codec).toBe('audio/opus');
  });

  it("takes round trip, jitter and loss from the SFU's receiver reports (remote-inbound-rtp)", () => {
    const report = entry(publisherSecond, 'RIV1774561952');
    expect(video.rttMs).toBeCloseTo((report.roundTripTime as number) * 1000, 6);
    expect(video.jitterMs).toBeCloseTo((report.jitter as number) * 1000, 6);
    expect(video.fractionLostPercent).toBe(0);
    expect(video.lossPercent).toBe(0);
    expect(audio.rttMs).toBeCloseTo((entry(publisherSecond, 'RIA568567679').roundTripTime as number) * 1000, 6);
  });

  it('computes outbound loss as reported lost packets over packets sent in the interval, beside fractionLost', () => {
    const first = edit(publisherFirst, 'RIV1774561952', { packetsLost: 3 });
    const second = edit(publisherSecond, 'RIV1774561952', { packetsLost: 5, fractionLost: 0.0390625 });
    const video = stream(connectionFigures(first, second).streams, 'outbound', 'video');
    expect(video.lossPercent).toBeCloseTo((2 / (243 - 221)) * 100, 6);
    expect(video.fractionLostPercent).toBeCloseTo(3.90625, 6);
    expect(video.packetsLost).toBe(5);
  });

  it('finds the receiver report by its localId or SSRC when the outbound stream does not name it', () => {
    const unlinked = edit(publisherSecond, VIDEO_OUT, { remoteId: undefined });
    expect(stream(connectionFigures(publisherFirst, unlinked).streams, 'outbound', 'video').rttMs).toBeDefined();
    const noLocalId = edit(unlinked, 'RIV1774561952', { localId: undefined });
    expect(stream(connectionFigures(publisherFirst, noLocalId).streams, 'outbound', 'video').rttMs).toBeDefined();
  });

  it('has round trip and jitter but no loss before a second sample, and nothing from a missing report', () => {
    const first = stream(connectionFigures(undefined, publisherFirst).streams, 'outbound', 'video');
    expect(first.lossPercent).toBeUndefined();
    expect(first.bitrateKbps).toBeUndefined();
    expect(first.rttMs).toBeDefined();
    const noReports = publisherSecond.filter((e) => e.type !== 'remote-inbound-rtp');
    const bare = stream(connectionFigures(publisherFirst, noReports).streams, 'outbound', 'video');
    for (const field of ['rttMs', 'jitterMs', 'lossPercent', 'fractionLostPercent', 'packetsLost'] as const) expect(bare[field]).toBeUndefined();
    expect(bare.bitrateKbps).toBeGreaterThan(0);
  });

  it('treats a restarted sender (counters went down) as a new stream', () => {
    const restarted = edit(publisherSecond, AUDIO_OUT, { bytesSent: 120, packetsSent: 2 });
    const audio = stream(connectionFigures(publisherFirst, restarted).streams, 'outbound', 'audio');
    expect(audio.bitrateKbps).toBeUndefined();
    expect(audio.lossPercent).toBeUndefined();
  });

  it('says why the encoder holds back, when it does', () => {
    const limited = edit(publisherSecond, VIDEO_OUT, { qualityLimitationReason: 'bandwidth' });
    expect(stream(connectionFigures(publisherFirst, limited).streams, 'outbound', 'video').qualityLimitation).toBe('bandwidth');
  });
});

describe('the transport: the selected candidate pair', () => {
  it("reads the pair the transport selected: its round trip and both candidates' types", () => {
    expect(connectionFigures(publisherFirst, publisherSecond).transport).toEqual({
      rttMs: (entry(publisherSecond, 'CPWR6VRNPs_W2zmFMXY').currentRoundTripTime as number) * 1000,
      protocol: 'udp',
      localCandidateType: 'host',
      remoteCandidateType: 'host',
      relayed: false,
      availableOutgoingKbps: 300,
      iceState: 'connected',
      dtlsState: 'connected',
    });
  });

  it('without a transport entry, uses the pair flagged selected and says it is relayed and how', () => {
    expect(connectionFigures(undefined, relayedOverTls).transport).toEqual({
      rttMs: 182,
      protocol: 'udp',
      localCandidateType: 'relay',
      remoteCandidateType: 'srflx',
      relayProtocol: 'tls',
      relayed: true,
    });
  });

  it('falls back to a nominated pair that succeeded, the busiest one', () => {
    // Both recorded pairs are nominated and succeeded; only one carries the media.
    const noTransport = edit(
      subscriberSecond.filter((e) => e.type !== 'transport'),
      'CP78W0LpA/_/ej6pdEy',
      { currentRoundTripTime: 0.5 },
    );
    const busiest = entry(subscriberSecond, 'CPS6rbG9tE_/ej6pdEy');
    expect(connectionFigures(undefined, noTransport).transport?.rttMs).toBeCloseTo((busiest.currentRoundTripTime as number) * 1000, 6);
  });

  it('has no transport before ICE selected a pair', () => {
    const checking = subscriberFirst.filter((e) => e.type !== 'transport' && e.type !== 'candidate-pair');
    expect(connectionFigures(undefined, checking).transport).toBeUndefined();
  });
});
