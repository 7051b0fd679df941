// SDP <-> mediasoup's RTP parameters. The browser speaks plain W3C WebRTC (full SDP, no
// trickle); mediasoup speaks ORTC-style parameters. This file translates between the two:
// a publisher's offer becomes Producer parameters and our answer; a subscriber's Consumers
// become our offer, and its answer gives the browser's DTLS parameters. Pure functions
// over parsed SDP (sdp-transform), so they can be tested with recorded Chromium SDPs.
import sdpTransform, { type MediaAttributes, type MediaDescription, type SessionDescription } from 'sdp-transform';
import type {
  DtlsParameters,
  DtlsRole,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpCapabilities,
  RtpCodecParameters,
  RtpEncodingParameters,
  RtpHeaderExtensionParameters,
  RtpParameters,
  RtcpFeedback,
} from 'mediasoup/types';

/** The SFU's side of one WebRtcTransport, as written into our SDPs. */
export interface LocalTransport {
  ice: IceParameters;
  candidates: IceCandidate[];
  dtls: DtlsParameters;
}

export class SdpError extends Error {
  override readonly name = 'SdpError';
}

/** Feedback we act on as a receiver (and so answer): RFC 4585 NACK/PLI, RFC 5104 FIR, transport-wide CC. */
const RECEIVER_FEEDBACK: readonly RtcpFeedback[] = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'transport-cc' },
];

export function parseSdp(sdp: string): SessionDescription {
  let parsed: SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch {
    throw new SdpError('SDP does not parse');
  }
  if (!Array.isArray(parsed.media) || parsed.media.length === 0) throw new SdpError('SDP has no m-lines');
  return parsed;
}

/** The browser's DTLS fingerprint and the role its SDP takes (RFC 8842 setup attribute). */
export function remoteDtls(session: SessionDescription, kind: 'offer' | 'answer'): DtlsParameters {
  const media = session.media.find((m) => m.port !== 0) ?? session.media[0];
  const fingerprint = media?.fingerprint ?? session.fingerprint;
  if (!fingerprint) throw new SdpError('SDP has no DTLS fingerprint');
  const setup = media?.setup ?? session.setup ?? 'actpass';
  // An offerer saying actpass leaves the role to us: we answer passive (we are the DTLS
  // server, the browser the client), as mediasoup-client's send transports do.
  const role: DtlsRole = setup === 'active' ? 'client' : setup === 'passive' ? 'server' : kind === 'offer' ? 'client' : 'auto';
  if (role === 'auto') throw new SdpError(`an answer must say setup active or passive, not ${setup}`);
  return { role, fingerprints: [{ algorithm: fingerprint.type as DtlsParameters['fingerprints'][number]['algorithm'], value: fingerprint.hash }] };
}

/** One m-line of a publisher's offer, as we decided to take it. */
export type OfferedSection =
  | { kind: MediaKind; mid: string; accepted: true; rtpParameters: RtpParameters; simulcast: string[] | undefined }
  | { kind: MediaKind | 'application'; mid: string; accepted: false; reason: string }
  | { kind: 'application'; mid: string; accepted: true; maxMessageSize: number };

/**
 * Reads a publisher's offer: for every m-line, the Producer parameters we would create
 * from it (a codec the router has, its RTX, the header extensions mediasoup knows, the
 * SSRCs or simulcast rids), or why we reject it.
 */
export function readPublisherOffer(session: SessionDescription, router: RtpCapabilities): OfferedSection[] {
  return session.media.map((media, index): OfferedSection => {
    const mid = media.mid === undefined ? String(index) : String(media.mid);
    if (media.type === 'application') {
      if (media.protocol !== 'UDP/DTLS/SCTP' || media.payloads !== 'webrtc-datachannel') return { kind: 'application', mid, accepted: false, reason: 'only SCTP data channels over DTLS' };
      return { kind: 'application', mid, accepted: true, maxMessageSize: media.maxMessageSize ?? 65536 };
    }
    if (media.type !== 'audio' && media.type !== 'video') return { kind: 'application', mid, accepted: false, reason: `media type ${media.type}` };
    const kind = media.type;
    if (media.port === 0 || media.direction === 'inactive' || media.direction === 'recvonly') return { kind, mid, accepted: false, reason: 'not sending' };
    const codec = chooseCodec(media, kind, router);
    if (!codec) return { kind, mid, accepted: false, reason: 'no codec the SFU forwards' };
    const rtx = media.rtp.find((r) => r.codec.toLowerCase() === 'rtx' && fmtpParameters(media, r.payload).apt === codec.payloadType);
    const codecs: RtpCodecParameters[] = [codec];
    if (rtx && kind === 'video') codecs.push({ mimeType: 'video/rtx', payloadType: rtx.payload, clockRate: rtx.rate ?? 90000, parameters: { apt: codec.payloadType } });
    const known = new Set(router.headerExtensions?.filter((h) => h.kind === kind).map((h) => h.uri));
    const headerExtensions: RtpHeaderExtensionParameters[] = (media.ext ?? [])
      .filter((e) => known.has(e.uri as RtpHeaderExtensionParameters['uri']))
      .map((e) => ({ uri: e.uri as RtpHeaderExtensionParameters['uri'], id: e.value }));
    const simulcast = simulcastRids(media);
    // Browsers send VP8 simulcast with three temporal layers each; without L1T3 declared,
    // mediasoup treats every layer as one temporal layer and forwards only its base (a
    // quarter of the frame rate).
    const encodings: RtpEncodingParameters[] = simulcast ? simulcast.map((rid) => ({ rid, scalabilityMode: 'L1T3' })) : ssrcEncodings(media);
    const cname = media.ssrcs?.find((s) => s.attribute === 'cname')?.value;
    return {
      kind,
      mid,
      accepted: true,
      simulcast,
      rtpParameters: { mid, codecs, headerExtensions, encodings, rtcp: { cname, reducedSize: media.rtcpRsize === 'rtcp-rsize' } },
    };
  });
}

function chooseCodec(media: MediaDescription, kind: MediaKind, router: RtpCapabilities): RtpCodecParameters | undefined {
  for (const rtp of media.rtp) {
    const mimeType = `${kind}/${rtp.codec}`.toLowerCase();
    const channels = kind === 'audio' ? (rtp.encoding ?? 1) : undefined;
    const match = router.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType && c.clockRate === rtp.rate && (kind !== 'audio' || c.channels === channels));
    if (!match || mimeType.endsWith('/rtx')) continue;
    const offeredFeedback = (media.rtcpFb ?? []).filter((f) => String(f.payload) === String(rtp.payload) || f.payload === '*');
    const rtcpFeedback = RECEIVER_FEEDBACK.filter(
      (fb) => (kind === 'video' || fb.type === 'transport-cc') && offeredFeedback.some((o) => o.type === fb.type && (o.subtype ?? '') === (fb.parameter ?? '')),
    );
    return {
      mimeType: match.mimeType,
      payloadType: rtp.payload,
      clockRate: match.clockRate,
      ...(channels !== undefined ? { channels } : {}),
      parameters: fmtpParameters(media, rtp.payload),
      rtcpFeedback,
    };
  }
  return undefined;
}

function fmtpParameters(media: MediaAttributes, payload: number): Record<string, string | number> {
  const config = media.fmtp.find((f) => f.payload === payload)?.config;
  if (!config) return {};
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(sdpTransform.parseParams(config))) out[k] = typeof v === 'number' ? v : String(v);
  return out;
}

function simulcastRids(media: MediaDescription): string[] | undefined {
  const sim = media.simulcast;
  const list = sim?.dir1 === 'send' ? sim.list1 : sim?.dir2 === 'send' ? sim.list2 : undefined;
  if (!list) return undefined;
  // "q;h;f" (alternatives after a comma are not used by browsers); "~" marks a paused rid.
  const rids = list.split(';').map((alt) => (alt.split(',')[0] ?? '').replace(/^~/, '')).filter((r) => r !== '');
  return rids.length > 1 ? rids : undefined;
}

function ssrcEncodings(media: MediaDescription): RtpEncodingParameters[] {
  const fid = media.ssrcGroups?.find((g) => g.semantics === 'FID');
  if (fid) {
    const [primary, rtx] = fid.ssrcs.split(' ').map(Number);
    if (primary !== undefined && Number.isFinite(primary)) return [{ ssrc: primary, ...(rtx !== undefined && Number.isFinite(rtx) ? { rtx: { ssrc: rtx } } : {}) }];
  }
  const first = media.ssrcs?.[0]?.id;
  if (first === undefined) throw new SdpError(`m-line ${media.mid ?? ''} sends without an SSRC or simulcast rids`);
  return [{ ssrc: Number(first) }];
}

/** Our answer to a publisher's offer: receive what we accepted, reject the rest (port 0). */
export function publisherAnswer(offer: SessionDescription, sections: OfferedSection[], local: LocalTransport, maxMessageSize = 262144): string {
  const media: MediaDescription[] = offer.media.map((offered, index) => {
    const section = sections[index];
    if (!section) throw new SdpError('internal: sections do not match the offer');
    if (!section.accepted) return rejected(offered, section.mid);
    if (section.kind === 'application') {
      return {
        ...transportAttributes(local, 'passive'),
        type: 'application',
        port: 9,
        protocol: 'UDP/DTLS/SCTP',
        payloads: 'webrtc-datachannel',
        mid: section.mid,
        sctpPort: 5000,
        maxMessageSize,
        rtp: [],
        fmtp: [],
      };
    }
    const p = section.rtpParameters;
    return {
      ...transportAttributes(local, 'passive'),
      ...codecAttributes(p),
      type: section.kind,
      port: 9,
      protocol: 'UDP/TLS/RTP/SAVPF',
      mid: section.mid,
      direction: 'recvonly',
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      ...(section.simulcast ? { rids: section.simulcast.map((id) => ({ id, direction: 'recv' })), simulcast: { dir1: 'recv' as const, list1: section.simulcast.join(';') } } : {}),
    };
  });
  return writeSession(media, offer.origin.sessionVersion);
}

function rejected(offered: MediaDescription, mid: string): MediaDescription {
  return {
    type: offered.type,
    port: 0,
    protocol: offered.protocol,
    payloads: offered.payloads ?? '',
    rtp: offered.rtp.slice(0, 1),
    fmtp: [],
    mid,
    direction: 'inactive',
  };
}

/** One m-line of the subscriber connection: a Consumer, or a closed slot kept for its index. */
export interface SubscriberSlot {
  mid: string;
  kind: MediaKind;
  /** Undefined once the consumer is gone: the m-line is offered with port 0. */
  consumer: { rtpParameters: RtpParameters; streamId: string; trackId: string } | undefined;
  /**
   * The codecs of the slot's last consumer, for the bundle's first m-line: rejecting that
   * one (port 0) would close the browser's transport for every m-line (RFC 8843), so
   * without a consumer it is offered `inactive` instead, as mediasoup-client does.
   */
  parked?: RtpParameters;
}

/** Our offer for a subscriber connection: one sendonly m-line per consumer. */
export function subscriberOffer(slots: SubscriberSlot[], local: LocalTransport, version: number): string {
  const media: MediaDescription[] = slots.map((slot) => {
    if (!slot.consumer && slot.parked) {
      const { codecs, headerExtensions } = slot.parked;
      return {
        ...transportAttributes(local, 'actpass'),
        ...codecAttributes({ codecs, headerExtensions }),
        type: slot.kind,
        port: 9,
        protocol: 'UDP/TLS/RTP/SAVPF',
        mid: slot.mid,
        direction: 'inactive',
        rtcpMux: 'rtcp-mux',
        rtcpRsize: 'rtcp-rsize',
      };
    }
    if (!slot.consumer) {
      return { type: slot.kind, port: 0, protocol: 'UDP/TLS/RTP/SAVPF', payloads: '0', rtp: [{ payload: 0, codec: 'PCMU', rate: 8000 }], fmtp: [], mid: slot.mid, direction: 'inactive' };
    }
    const { rtpParameters: p, streamId, trackId } = slot.consumer;
    const encoding = p.encodings?.[0];
    const cname = p.rtcp?.cname ?? streamId;
    const ssrcs: NonNullable<MediaAttributes['ssrcs']> = [];
    const ssrcGroups: NonNullable<MediaAttributes['ssrcGroups']> = [];
    for (const ssrc of [encoding?.ssrc, encoding?.rtx?.ssrc]) {
      if (ssrc === undefined) continue;
      ssrcs.push({ id: ssrc, attribute: 'cname', value: cname }, { id: ssrc, attribute: 'msid', value: `${streamId} ${trackId}` });
    }
    if (encoding?.ssrc !== undefined && encoding.rtx?.ssrc !== undefined) ssrcGroups.push({ semantics: 'FID', ssrcs: `${encoding.ssrc} ${encoding.rtx.ssrc}` });
    return {
      ...transportAttributes(local, 'actpass'),
      ...codecAttributes(p),
      type: slot.kind,
      port: 9,
      protocol: 'UDP/TLS/RTP/SAVPF',
      mid: slot.mid,
      direction: 'sendonly',
      msid: [{ id: streamId, appdata: trackId }],
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      ssrcs,
      ssrcGroups,
    };
  });
  return writeSession(media, version);
}

/** Checks a subscriber's answer against our offer: the same m-lines with the same mids. */
export function checkSubscriberAnswer(answer: SessionDescription, slots: SubscriberSlot[]): void {
  if (answer.media.length !== slots.length) throw new SdpError(`the answer has ${answer.media.length} m-lines, the offer ${slots.length}`);
  answer.media.forEach((m, i) => {
    const slot = slots[i];
    if (!slot || String(m.mid) !== slot.mid || m.type !== slot.kind) throw new SdpError(`m-line ${i} of the answer is not the offer's (mid ${String(m.mid)})`);
  });
}

function codecAttributes(p: RtpParameters): Pick<MediaDescription, 'rtp' | 'fmtp' | 'rtcpFb' | 'ext' | 'payloads'> {
  const rtp: MediaDescription['rtp'] = [];
  const fmtp: MediaDescription['fmtp'] = [];
  const rtcpFb: NonNullable<MediaDescription['rtcpFb']> = [];
  for (const codec of p.codecs) {
    const name = codec.mimeType.split('/')[1] ?? codec.mimeType;
    rtp.push({ payload: codec.payloadType, codec: name, rate: codec.clockRate, ...(codec.channels && codec.channels > 1 ? { encoding: codec.channels } : {}) });
    const params = Object.entries(codec.parameters ?? {});
    if (params.length > 0) fmtp.push({ payload: codec.payloadType, config: params.map(([k, v]) => `${k}=${String(v)}`).join(';') });
    for (const fb of codec.rtcpFeedback ?? []) rtcpFb.push({ payload: codec.payloadType, type: fb.type, ...(fb.parameter ? { subtype: fb.parameter } : {}) });
  }
  const ext = (p.headerExtensions ?? []).map((h) => ({ value: h.id, uri: h.uri }));
  return { rtp, fmtp, rtcpFb, ext, payloads: p.codecs.map((c) => c.payloadType).join(' ') };
}

/** ICE-lite credentials, our candidates and DTLS fingerprint, repeated in every bundled m-line. */
function transportAttributes(local: LocalTransport, setup: 'actpass' | 'passive'): Partial<MediaDescription> {
  const fingerprint = local.dtls.fingerprints.find((f) => f.algorithm === 'sha-256') ?? local.dtls.fingerprints[0];
  if (!fingerprint) throw new SdpError('internal: the transport has no DTLS fingerprint');
  return {
    connection: { version: 4, ip: '127.0.0.1' },
    iceUfrag: local.ice.usernameFragment,
    icePwd: local.ice.password,
    fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value },
    setup,
    candidates: local.candidates.map((c) => ({
      foundation: c.foundation,
      component: 1,
      transport: c.protocol,
      priority: c.priority,
      ip: c.address,
      port: c.port,
      type: c.type,
      ...(c.tcpType ? { tcptype: c.tcpType } : {}),
    })),
    endOfCandidates: 'end-of-candidates',
  };
}

function writeSession(media: MediaDescription[], version: number): string {
  const bundled = media.filter((m) => m.port !== 0).map((m) => String(m.mid));
  const session: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId: '1', sessionVersion: version, netType: 'IN', ipVer: 4, address: '0.0.0.0' },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    msidSemantic: { semantic: 'WMS', token: '*' },
    ...(bundled.length > 0 ? { groups: [{ type: 'BUNDLE', mids: bundled.join(' ') }] } : {}),
    media,
  };
  return sdpTransform.write(session);
}
