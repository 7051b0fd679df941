// A cheap receive path for the SFU bench's subscribers. A werift subscriber that decrypts
// and parses every packet costs more CPU than the SFU forwarding to it (AES-GCM through a
// new Node cipher per packet), and on a 2-core machine the bots then measure themselves.
// SRTP leaves the RTP header in the clear, so a packet can be counted by its SSRC and
// sequence number straight off the ICE socket; only one packet in N is decrypted, which
// still proves that what the SFU forwards authenticates with this subscriber's keys.
//
// The rest of werift's receive path sees only the sampled packets, so its NACK generator
// would ask for the 255 in 256 it never saw: it is switched off (the answer still offers
// NACK, so the SFU keeps its retransmission buffers as it does for browsers).
import { isMedia, isRtcp, SrtpAuthenticationError, type MediaStreamTrack, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

export interface SampledSrtpCounts {
  /** Sampled packets that decrypted and authenticated. */
  verified: number;
  /** Sampled packets that did not: a wrong key or a corrupted packet. */
  failed: number;
}

/** What werift's transport and receiver are made of, as far as this file reaches into them. */
interface WeriftRolloverState {
  ssrc: number;
  rolloverCounter: number;
  lastSequenceNumber: number;
}
export interface WeriftSrtpSession {
  decrypt: (packet: Buffer) => Buffer;
  /** Its receiving context, which guesses each packet's rollover counter from the sequence numbers it saw. */
  remoteContext: {
    srtpSSRCStates: Record<number, WeriftRolloverState | undefined>;
    updateRolloverCount(sequenceNumber: number, state: WeriftRolloverState): void;
  };
}
interface WeriftSrtpTransport {
  srtp: WeriftSrtpSession | undefined;
  iceTransport: { connection: { onData: { subscribe(f: (data: Buffer) => void): unknown } } };
}
interface WeriftNackHandler {
  nack: { addPacket: (packet: unknown) => void };
}

/** Thrown for packets not sampled: werift drops an SrtpAuthenticationError quietly. One instance, so a skip costs no stack capture. */
const NOT_SAMPLED = new SrtpAuthenticationError('not sampled by the bench subscriber');
const RTP_HEADER_BYTES = 12;

/**
 * Counts every RTP packet through `onPacket` (SSRC and sequence number from the clear
 * header) on each transport it is attached to, and lets werift decrypt only one in `oneIn`.
 */
export class SampledSrtp {
  readonly counts: SampledSrtpCounts = { verified: 0, failed: 0 };
  /** Transports already sampled: with BUNDLE every transceiver shares one. */
  private readonly transports = new WeakSet<object>();

  constructor(
    private readonly oneIn: number,
    private readonly onPacket: (ssrc: number, seq: number) => void,
  ) {
    if (!Number.isInteger(oneIn) || oneIn < 1) throw new RangeError(`oneIn must be a whole number >= 1, got ${oneIn}`);
  }

  /** Whether `transceiver`'s packets are counted here (from then on, not by its track). */
  covers(transceiver: RTCRtpTransceiver): boolean {
    return this.transports.has(transceiver.dtlsTransport);
  }

  /** Takes over `transceiver`'s transport and receiver. Call once SRTP runs (a packet has arrived). */
  attach(transceiver: RTCRtpTransceiver): void {
    (transceiver.receiver as unknown as WeriftNackHandler).nack.addPacket = () => undefined;
    if (this.covers(transceiver)) return;
    const transport = transceiver.dtlsTransport as unknown as WeriftSrtpTransport;
    const srtp = transport.srtp;
    if (!srtp) throw new Error('SampledSrtp: SRTP is not running on this transport yet');
    this.transports.add(transceiver.dtlsTransport);
    sampleDecryption(srtp, this.oneIn, this.counts);
    transport.iceTransport.connection.onData.subscribe((data) => {
      if (data.length < RTP_HEADER_BYTES || !isMedia(data) || isRtcp(data)) return;
      this.onPacket(data.readUInt32BE(8), data.readUInt16BE(2));
    });
  }
}

/**
 * Makes `session` decrypt only one packet in `oneIn`, counting into `counts`; the others
 * are dropped as werift drops a packet that fails authentication, after they moved the
 * rollover counter.
 */
export function sampleDecryption(session: WeriftSrtpSession, oneIn: number, counts: SampledSrtpCounts): void {
  const decrypt = session.decrypt.bind(session);
  const context = session.remoteContext;
  let n = 0;
  session.decrypt = (packet) => {
    if (n++ % oneIn !== 0) {
      // werift only notices a wrap of the sequence numbers in packets it sees; a skipped
      // one must still move the rollover counter, or every packet after a wrap fails.
      const ssrc = packet.readUInt32BE(8);
      const state = (context.srtpSSRCStates[ssrc] ??= { ssrc, rolloverCounter: 0, lastSequenceNumber: 0 });
      context.updateRolloverCount(packet.readUInt16BE(2), state);
      throw NOT_SAMPLED;
    }
    try {
      const clear = decrypt(packet);
      counts.verified++;
      return clear;
    } catch (err) {
      counts.failed++;
      throw err;
    }
  };
}

/** The transceiver a received track arrived on. */
export function transceiverOf(pc: RTCPeerConnection, track: MediaStreamTrack): RTCRtpTransceiver | undefined {
  return pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
}
