// SDP <-> mediasoup parameters, against offers recorded from Debian's Chromium 156 (the
// page's publisher connection: audio, video, and the probe's two negotiated data channels;
// once plain, once with three simulcast layers).
import { readFileSync } from 'node:fs';
import { generateRouterRtpCapabilities } from 'mediasoup/ortc';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from '../../server/mediasoup/room.js';
import {
  SdpError,
  checkSubscriberAnswer,
  parseSdp,
  publisherAnswer,
  readPublisherOffer,
  remoteDtls,
  subscriberOffer,
  type LocalTransport,
  type SubscriberSlot,
} from '../../server/mediasoup/sdp.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const router = generateRouterRtpCapabilities(MEDIA_CODECS);

const local: LocalTransport = {
  ice: { usernameFragment: 'sfu-ufrag', password: 'sfu-password', iceLite: true },
  candidates: [
    { foundation: 'udpcandidate', priority: 1076302079, ip: '127.0.0.1', address: '127.0.0.1', protocol: 'udp', port: 20001, type: 'host' },
    { foundation: 'tcpcandidate', priority: 1076276479, ip: '127.0.0.1', address: '127.0.0.1', protocol: 'tcp', port: 20001, type: 'host', tcpType: 'passive' },
  ],
  dtls: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }] },
};

describe('a publisher offer from Chromium', () => {
  const session = parseSdp(fixture('chromium-offer.sdp'));
  const sections = readPublisherOffer(session, router);

  it('becomes an Opus producer with transport-cc, and a VP8 producer with RTX, NACK, PLI and FIR', () => {
    const [audio, video, data] = sections;
    expect(audio).toMatchObject({ kind: 'audio', mid: '0', accepted: true });
    expect(video).toMatchObject({ kind: 'video', mid: '1', accepted: true });
    expect(data).toMatchObject({ kind: 'application', mid: '2', accepted: true });
    if (!audio?.accepted || audio.kind === 'application' || !video?.accepted || video.kind === 'application') throw new Error('not accepted');
    expect(audio.rtpParameters.codecs).toEqual([
      { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 }, rtcpFeedback: [{ type: 'transport-cc' }] },
    ]);
    expect(video.rtpParameters.codecs.map((c) => [c.mimeType, c.payloadType])).toEqual([
      ['video/VP8', 96],
      ['video/rtx', 97],
    ]);
    expect(video.rtpParameters.codecs[0]?.rtcpFeedback).toEqual([{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'transport-cc' }]);
    const encoding = video.rtpParameters.encodings?.[0];
    expect(encoding?.ssrc).toBeTypeOf('number');
    expect(encoding?.rtx?.ssrc).toBeTypeOf('number');
    expect(video.rtpParameters.rtcp?.cname).toMatch(/.+/);
  });

  it('keeps only the header extensions mediasoup understands, with the browser ids', () => {
    const video = sections[1];
    if (!video?.accepted || video.kind === 'application') throw new Error('not accepted');
    const uris = video.rtpParameters.headerExtensions?.map((h) => h.uri) ?? [];
    expect(uris).toContain('urn:ietf:params:rtp-hdrext:sdes:mid');
    expect(uris).toContain('http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01');
    expect(uris).not.toContain('http://www.webrtc.org/experiments/rtp-hdrext/video-timing');
    expect(video.rtpParameters.headerExtensions?.find((h) => h.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid')?.id).toBe(4);
  });

  it('is answered ICE-lite, bundled, receive-only, as DTLS server, with our candidates and one codec per m-line', () => {
    const answer = sdpTransform.parse(publisherAnswer(session, sections, local));
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: '0 1 2' }]);
    const [audio, video, data] = answer.media;
    expect(audio?.direction).toBe('recvonly');
    expect(audio?.setup).toBe('passive');
    expect(audio?.rtp.map((r) => r.payload)).toEqual([111]);
    expect(audio?.fmtp).toEqual([{ payload: 111, config: 'minptime=10;useinbandfec=1' }]);
    expect(video?.rtp.map((r) => r.payload)).toEqual([96, 97]);
    expect(video?.candidates?.map((c) => `${c.transport} ${c.ip} ${c.port} ${c.tcptype ?? ''}`.trim())).toEqual(['udp 127.0.0.1 20001', 'tcp 127.0.0.1 20001 passive']);
    expect(data).toMatchObject({ type: 'application', protocol: 'UDP/DTLS/SCTP', payloads: 'webrtc-datachannel', sctpPort: 5000 });
  });

  it("takes the browser's fingerprint and makes it the DTLS client", () => {
    const dtls = remoteDtls(session, 'offer');
    expect(dtls.role).toBe('client');
    expect(dtls.fingerprints[0]?.algorithm).toBe('sha-256');
    expect(dtls.fingerprints[0]?.value).toMatch(/^[0-9A-F:]{95}$/);
  });
});

describe('a simulcast offer from Chromium', () => {
  const session = parseSdp(fixture('chromium-offer-simulcast.sdp'));
  const sections = readPublisherOffer(session, router);

  it('becomes a producer with one encoding per rid, lowest first', () => {
    const video = sections[1];
    if (!video?.accepted || video.kind === 'application') throw new Error('not accepted');
    expect(video.rtpParameters.encodings).toEqual([
      { rid: 'q', scalabilityMode: 'L1T3' },
      { rid: 'h', scalabilityMode: 'L1T3' },
      { rid: 'f', scalabilityMode: 'L1T3' },
    ]);
    expect(video.rtpParameters.headerExtensions?.map((h) => h.uri)).toContain('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id');
  });

  it('is answered with the same rids to receive', () => {
    const answer = sdpTransform.parse(publisherAnswer(session, sections, local));
    expect(answer.media[1]?.simulcast).toEqual({ dir1: 'recv', list1: 'q;h;f' });
    expect(answer.media[1]?.rids).toEqual([
      { id: 'q', direction: 'recv' },
      { id: 'h', direction: 'recv' },
      { id: 'f', direction: 'recv' },
    ]);
  });
});

describe('offers that are not what the SFU takes', () => {
  it('refuses text that is not SDP', () => {
    expect(() => parseSdp('x')).toThrow(SdpError);
  });

  it('rejects an m-line without a codec the router forwards, and answers it with port 0', () => {
    const text = fixture('chromium-offer.sdp').replace(/a=rtpmap:96 VP8\/90000/, 'a=rtpmap:96 XYZ/90000');
    const session = parseSdp(text);
    const sections = readPublisherOffer(session, router);
    expect(sections[1]).toMatchObject({ accepted: false, reason: 'no codec the SFU forwards' });
    const answer = sdpTransform.parse(publisherAnswer(session, sections, local));
    expect(answer.media[1]?.port).toBe(0);
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: '0 2' }]);
  });
});

describe('the subscriber connection', () => {
  const consumer = (ssrc: number): SubscriberSlot['consumer'] => ({
    streamId: 'alice',
    trackId: `track-${ssrc}`,
    rtpParameters: {
      mid: '0',
      codecs: [
        { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'transport-cc' }] },
        { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 }, rtcpFeedback: [] },
      ],
      headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
      encodings: [{ ssrc, rtx: { ssrc: ssrc + 1 } }],
      rtcp: { cname: 'alice-cname', reducedSize: true },
    },
  });
  const slots: SubscriberSlot[] = [
    { mid: '0', kind: 'video', consumer: consumer(1000) },
    { mid: '1', kind: 'audio', consumer: undefined },
  ];

  it('gets one send-only m-line per consumer with its SSRCs, and closed slots at port 0 outside the bundle', () => {
    const offer = sdpTransform.parse(subscriberOffer(slots, local, 3));
    expect(offer.origin.sessionVersion).toBe(3);
    // sdp-transform reads numeric tokens as numbers.
    expect(offer.groups?.map((g) => `${g.type} ${String(g.mids)}`)).toEqual(['BUNDLE 0']);
    const [video, closed] = offer.media;
    expect(String(video?.mid)).toBe('0');
    expect(video).toMatchObject({ direction: 'sendonly', setup: 'actpass' });
    expect(video?.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: '1000 1001' }]);
    expect(video?.msid).toEqual([{ id: 'alice', appdata: 'track-1000' }]);
    expect(String(closed?.mid)).toBe('1');
    expect(closed).toMatchObject({ port: 0, direction: 'inactive' });
  });

  it('keeps the bundle\'s first m-line open but inactive when its consumer is gone, so the transport survives', () => {
    const parked = consumer(1000)?.rtpParameters;
    const offer = sdpTransform.parse(subscriberOffer([{ mid: '0', kind: 'video', consumer: undefined, parked }, { mid: '1', kind: 'audio', consumer: undefined }], local, 4));
    expect(offer.media[0]).toMatchObject({ port: 9, direction: 'inactive' });
    expect(offer.media[0]?.ssrcs).toBeUndefined();
    expect(offer.groups?.map((g) => String(g.mids))).toEqual(['0']);
  });

  it("checks that an answer has the offer's m-lines", () => {
    const good = { ...parseSdp(subscriberOffer(slots, local, 1)) };
    expect(() => checkSubscriberAnswer(good, slots)).not.toThrow();
    const short = { ...good, media: good.media.slice(0, 1) };
    expect(() => checkSubscriberAnswer(short, slots)).toThrow(/1 m-lines, the offer 2/);
    const swapped = { ...good, media: good.media.map((m, i) => ({ ...m, mid: String(1 - i) })) };
    expect(() => checkSubscriberAnswer(swapped, slots)).toThrow(SdpError);
  });

  it("reads the browser's DTLS role from its answer", () => {
    const answer = parseSdp(subscriberOffer(slots, local, 1).replaceAll('a=setup:actpass', 'a=setup:active'));
    expect(remoteDtls(answer, 'answer').role).toBe('client');
    const undecided = parseSdp(subscriberOffer(slots, local, 1));
    expect(() => remoteDtls(undecided, 'answer')).toThrow(/setup active or passive/);
  });
});
