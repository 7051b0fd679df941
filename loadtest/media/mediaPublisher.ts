// A headless publisher: a werift peer connection that offers sendonly audio and/or video
// to the SFU through `publish` (signaling/PROTOCOL.md), and once ICE and DTLS are up sends
// synthetic RTP at fixed packet rates until it is closed.
import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { startPacer, type Pacer } from '../../bench/packetPacer.js';
import { gatheringComplete, peerConnectionConfig, rewriteCandidates, type RtcOptions } from '../../server/sfu/rtcConfig.js';
import { connected, type MediaSignaling } from './peer.js';
import type { MediaKind } from './rtpCounting.js';
import type { SyntheticStream } from './syntheticRtp.js';

export interface PublisherOptions {
  /** What to send, one transceiver each (audio before video, as browsers order them). */
  streams: readonly SyntheticStream[];
  rtc: RtcOptions;
  /** Bound on the publish request and on ICE + DTLS. */
  timeoutMs: number;
}

interface Outgoing {
  stream: SyntheticStream;
  transceiver: RTCRtpTransceiver;
  pacer?: Pacer;
}

export class MediaPublisher {
  readonly pc: RTCPeerConnection;
  /** From creating the offer to connectionState 'connected' (signaling, ICE and DTLS), ms. */
  connectMs: number | undefined;
  private readonly outgoing: Outgoing[];
  private closed = false;

  constructor(private readonly options: PublisherOptions) {
    this.pc = new RTCPeerConnection(peerConnectionConfig(options.rtc));
    this.outgoing = options.streams.map((stream) => ({ stream, transceiver: this.pc.addTransceiver(stream.kind, { direction: 'sendonly' }) }));
  }

  get isConnected(): boolean {
    return this.connectMs !== undefined && !this.closed;
  }

  /** RTP packets handed to the senders so far, by kind. */
  sent(kind: MediaKind): number {
    let n = 0;
    for (const o of this.outgoing) if (o.stream.kind === kind) n += o.pacer?.sent ?? 0;
    return n;
  }

  /** Publishes and starts sending; rejects with an Error naming what failed (a code for the report). */
  async start(signaling: MediaSignaling): Promise<void> {
    const t0 = performance.now();
    const { rtc, timeoutMs } = this.options;
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gatheringComplete(this.pc);
    this.assertOpen();
    const result = (await signaling.request('publish', rewriteCandidates(this.pc.localDescription!.sdp, rtc), timeoutMs)) as { sdp?: unknown };
    this.assertOpen();
    if (typeof result?.sdp !== 'string') throw new Error('media:publish:NO_SDP');
    await this.pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });
    await connected(this.pc, 'publisher', Math.max(0, timeoutMs - (performance.now() - t0))).catch((err: unknown) => {
      throw new Error(this.pc.connectionState === 'failed' ? 'media:publisher:failed' : 'timeout:media-publisher', { cause: err });
    });
    this.assertOpen();
    this.connectMs = performance.now() - t0;
    for (const o of this.outgoing) {
      const sender = o.transceiver.sender;
      o.pacer = startPacer(o.stream.packetsPerSecond, (i) => {
        void sender.sendRtp(o.stream.packet(i)).catch(() => undefined);
      });
    }
  }

  /** Stops sending (what was sent stays counted). */
  stopSending(): void {
    for (const o of this.outgoing) o.pacer?.stop();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopSending();
    await this.pc.close().catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('aborted');
  }
}
