// A headless subscriber: answers every offer the SFU makes for its subscriber connection
// (signaling/PROTOCOL.md: only the server offers there, one offer outstanding at a time)
// and counts each stream it receives: packets, loss from sequence gaps, freezes.
import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { answerSfuOffer, gatheringComplete, peerConnectionConfig, rewriteCandidates, type RtcOptions } from '../../server/sfu/rtcConfig.js';
import { connected, isMediaErrorCode, type MediaSignaling } from './peer.js';
import { SampledSrtp, transceiverOf } from './sampledSrtp.js';
import { ReceivedStream, type MediaKind, type StreamSnapshot } from './rtpCounting.js';

export interface SubscriberOptions {
  rtc: RtcOptions;
  /** Bound on each answer request and on ICE + DTLS after the first offer. */
  timeoutMs: number;
  /** A failure with a stable code (`media:answer:<CODE>`, `timeout:media-subscriber`, ...). */
  onError?: (code: string) => void;
  /** Every RTP packet, as it arrives (the counters are updated before). */
  onPacket?: (kind: MediaKind) => void;
  /**
   * Decrypt only one packet in this many once media flows, counting the rest from their
   * clear RTP headers (sampledSrtp.ts): for the SFU bench, whose bots must cost less than
   * the server. Only streams whose packets were seen decrypted are counted. Unset: all.
   */
  decryptOneIn?: number;
}

export class MediaSubscriber {
  /** Created with the first offer: a participant alone in its room never gets one. */
  pc: RTCPeerConnection | undefined;
  /** From the first offer's arrival to connectionState 'connected' (ICE and DTLS), ms. */
  connectMs: number | undefined;
  /** Packets received, duplicates included. */
  packets = 0;
  /** What happened so far, for a message when media never arrives. */
  readonly seen = { offers: 0, answered: 0, tracks: 0 };
  /** Resolves at the first RTP packet. */
  readonly firstPacket: Promise<void>;
  private readonly streams = new Map<number, ReceivedStream>();
  private readonly sampled: SampledSrtp | undefined;
  private resolveFirstPacket!: () => void;
  private closed = false;

  constructor(private readonly options: SubscriberOptions) {
    this.firstPacket = new Promise((resolve) => (this.resolveFirstPacket = resolve));
    const { decryptOneIn } = options;
    if (decryptOneIn !== undefined) {
      this.sampled = new SampledSrtp(decryptOneIn, (ssrc, seq) => {
        const stream = this.streams.get(ssrc);
        if (stream) this.count(stream, seq);
      });
    }
  }

  /** Sampled packets that decrypted, and that did not (decryptOneIn set; otherwise zeros). */
  get sampledCounts(): { verified: number; failed: number } {
    return this.sampled?.counts ?? { verified: 0, failed: 0 };
  }

  get isConnected(): boolean {
    return this.connectMs !== undefined;
  }

  /** Answers offers until the signaling ends or the subscriber is closed. */
  start(signaling: MediaSignaling): void {
    void this.answerOffers(signaling).catch((err: unknown) => {
      if (!this.closed) this.options.onError?.(err instanceof Error && isMediaErrorCode(err.message) ? err.message : 'media:subscriber:internal');
    });
  }

  /** Every stream received so far, counted up to `nowMs`. */
  snapshot(nowMs: number): StreamSnapshot[] {
    return [...this.streams.values()].map((s) => s.snapshot(nowMs));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pc?.close().catch(() => undefined);
  }

  private async answerOffers(signaling: MediaSignaling): Promise<void> {
    const { rtc, timeoutMs } = this.options;
    for (;;) {
      const offer = await signaling.nextOffer();
      if (offer === undefined || this.closed) return;
      this.seen.offers++;
      const pc = this.pc ?? this.createConnection(timeoutMs);
      await answerSfuOffer(pc, offer);
      await gatheringComplete(pc);
      if (this.closed) return;
      await signaling.request('answer', rewriteCandidates(pc.localDescription!.sdp, rtc), timeoutMs);
      this.seen.answered++;
    }
  }

  private attachSampling(transceiver: RTCRtpTransceiver): void {
    if (this.closed || !this.sampled) return;
    try {
      this.sampled.attach(transceiver);
    } catch {
      this.options.onError?.('media:subscriber:sampling');
    }
  }

  private count(stream: ReceivedStream, seq: number): void {
    stream.record(seq, performance.now());
    if (this.packets++ === 0) this.resolveFirstPacket();
    this.options.onPacket?.(stream.kind);
  }

  private createConnection(timeoutMs: number): RTCPeerConnection {
    const t0 = performance.now();
    const pc = new RTCPeerConnection(peerConnectionConfig(this.options.rtc));
    this.pc = pc;
    pc.onTrack.subscribe((track) => {
      this.seen.tracks++;
      const kind: MediaKind = track.kind === 'audio' ? 'audio' : 'video';
      let transceiver: RTCRtpTransceiver | undefined;
      track.onReceiveRtp.subscribe((rtp) => {
        if (this.closed) return;
        const ssrc = rtp.header.ssrc;
        let stream = this.streams.get(ssrc);
        if (!stream) this.streams.set(ssrc, (stream = new ReceivedStream(kind, ssrc)));
        if (this.sampled) {
          transceiver ??= transceiverOf(pc, track);
          if (transceiver && this.sampled.covers(transceiver)) return; // counted off the socket
          // After this packet's dispatch, so that it is not counted twice.
          const t = transceiver;
          if (t) queueMicrotask(() => this.attachSampling(t));
        }
        this.count(stream, rtp.header.sequenceNumber);
      });
    });
    connected(pc, 'subscriber', timeoutMs).then(
      () => {
        if (!this.closed) this.connectMs = performance.now() - t0;
      },
      () => {
        if (!this.closed) this.options.onError?.(pc.connectionState === 'failed' ? 'media:subscriber:failed' : 'timeout:media-subscriber');
      },
    );
    return pc;
  }
}
