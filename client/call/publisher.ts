// The publisher connection: sends this page's tracks to the SFU. The client always
// offers and the SFU answers, so this side never sees an offer (no glare). It also
// carries the two data channels of the latency probe (the SFU echoes every message), made
// before the first offer so that it negotiates SCTP.
import { PROBE_CHANNELS } from '../../signaling/probeChannels.js';
import { iceGatheringComplete } from './ice.js';
import { readStatsEntries, type StatsEntry } from './stats/entries.js';
import { isRecord } from './wire.js';

export interface PublishedStats {
  /** Keyframe requests (PLI) that reached this publisher. */
  videoPliCount: number;
  videoFramesEncoded: number;
  audioBytesSent: number;
}

export function emptyPublishedStats(): PublishedStats {
  return { videoPliCount: 0, videoFramesEncoded: 0, audioBytesSent: 0 };
}

/** An encoding with WebRTC-SVC's scalabilityMode, which TypeScript's DOM types lack. */
export type SendEncoding = RTCRtpEncodingParameters & { scalabilityMode?: string };

const LAYER_QUARTER: SendEncoding = { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' };
const LAYER_HALF: SendEncoding = { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' };
const LAYER_FULL: SendEncoding = { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: 'L1T3' };

/**
 * Simulcast layers, lowest first as the SFU expects them (PROTOCOL.md), chosen by the camera's
 * height the way Chromium's own simulcast limits allow: it sends at most two streams below
 * 540p and three from 540p up, so asking a 480p camera for three yields 120p and 240p only.
 * Each layer carries three temporal layers (L1T3) so the SFU can drop frame rate before
 * resolution; the caps keep the layers apart when bandwidth is short. `height` is the
 * camera's (track.getSettings()); unknown counts as below 540p.
 */
export function simulcastLayers(height: number | undefined): SendEncoding[] {
  const layers = height !== undefined && height >= 540 ? [LAYER_QUARTER, LAYER_HALF, LAYER_FULL] : [LAYER_HALF, LAYER_FULL];
  return layers.map((l) => ({ ...l }));
}

/** Sends an offer to the SFU (with the mid of the screen share's m-line, if any) and returns its answer. */
export type PublishExchange = (offerSdp: string, screenMid: string | undefined) => Promise<string>;

/** The probe's channels to the SFU: one reliable and ordered, one that never retransmits. */
export interface ProbeChannels {
  reliable: RTCDataChannel;
  unreliable: RTCDataChannel;
}

export class Publisher {
  private readonly pc: RTCPeerConnection;
  readonly probeChannels: ProbeChannels;
  /** The screen share's transceiver, once shared: kept (inactive) after a stop, reused for the next share. */
  private screen: RTCRtpTransceiver | undefined;
  /** The camera's and microphone's transceivers, as published. */
  private readonly devices = new Map<string, RTCRtpTransceiver>();
  /** Offers go one at a time: a share started while the camera's publish runs waits for it. */
  private negotiation: Promise<void> = Promise.resolve();
  private closed = false;

  /** `candidates` filters both SDPs, ours and the SFU's, to the transport chosen. */
  constructor(
    configuration: RTCConfiguration,
    onFailed: () => void,
    private readonly candidates: (sdp: string) => string = (sdp) => sdp,
  ) {
    this.pc = new RTCPeerConnection(configuration);
    // Negotiated out of band on fixed SCTP streams (PROTOCOL.md, "Probe data channels"):
    // mediasoup does not speak DCEP, so neither side announces channels in band.
    const [reliable, unreliable] = PROBE_CHANNELS;
    this.probeChannels = {
      reliable: this.pc.createDataChannel(reliable.label, { negotiated: true, id: reliable.streamId, ordered: reliable.ordered }),
      unreliable: this.pc.createDataChannel(unreliable.label, { negotiated: true, id: unreliable.streamId, ordered: unreliable.ordered, maxRetransmits: unreliable.maxRetransmits }),
    };
    this.pc.addEventListener('connectionstatechange', () => {
      if (!this.closed && this.pc.connectionState === 'failed') onFailed();
    });
  }

  /**
   * Adds the tracks (audio before video), offers them and applies the SFU's answer. With
   * `simulcast` (the SFU says it can), video goes out in two or three layers.
   */
  async publish(stream: MediaStream, tracks: MediaStreamTrack[], options: { simulcast: boolean }, exchange: PublishExchange): Promise<void> {
    if (this.closed) throw new Error('publisher is closed');
    for (const track of tracks) {
      const sendEncodings = options.simulcast && track.kind === 'video' ? simulcastLayers(track.getSettings().height) : undefined;
      this.devices.set(track.kind, this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream], ...(sendEncodings ? { sendEncodings } : {}) }));
    }
    await this.negotiate(exchange);
  }

  /**
   * Sends `track` (another camera or microphone) in place of the published one of its kind,
   * without an offer: the SFU and the others see the same track carry the new device.
   * False when nothing of that kind was published (the caller then publishes anew).
   */
  async replaceTrack(track: MediaStreamTrack): Promise<boolean> {
    const transceiver = this.devices.get(track.kind);
    if (this.closed || !transceiver) return false;
    await transceiver.sender.replaceTrack(track);
    return true;
  }

  /**
   * Shares `track` as the screen (one layer: text stays sharp), or stops sharing (null):
   * the m-line goes inactive, and the next share reuses it. An SFU may reject the inactive
   * m-line instead (mediasoup does), which stops the transceiver: the next share then
   * gets a new one (the browser recycles the rejected m-line). Renegotiates either way.
   */
  async setScreen(track: MediaStreamTrack | null, exchange: PublishExchange): Promise<void> {
    if (this.closed) throw new Error('publisher is closed');
    const current = this.screen && this.screen.currentDirection !== 'stopped' && this.screen.direction !== 'stopped' ? this.screen : undefined;
    if (!track && !current) return;
    if (current) {
      await current.sender.replaceTrack(track);
      current.direction = track ? 'sendonly' : 'inactive';
    } else if (track) {
      this.screen = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])] });
    }
    if (track && 'contentHint' in track) track.contentHint = 'detail';
    await this.negotiate(exchange);
  }

  /** The screen share's m-line, once shared: its stream is not the camera's, for the quality figures. */
  get screenMid(): string | undefined {
    return this.screen?.mid ?? undefined;
  }

  private negotiate(exchange: PublishExchange): Promise<void> {
    const run = this.negotiation.then(async () => {
      if (this.closed) return;
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      await iceGatheringComplete(this.pc);
      const sdp = this.pc.localDescription?.sdp;
      if (!sdp || this.closed) throw new Error('publisher closed while gathering');
      const answer = await exchange(this.candidates(sdp), this.screen?.mid ?? undefined);
      if (this.closed) return;
      await this.pc.setRemoteDescription({ type: 'answer', sdp: this.candidates(answer) });
    });
    // A failed negotiation fails its caller; the next one still runs.
    this.negotiation = run.catch(() => undefined);
    return run;
  }

  /** Keyframe requests received and what was sent, from the outbound RTP streams. */
  async stats(): Promise<PublishedStats> {
    const out = emptyPublishedStats();
    if (this.closed) return out;
    const report = await this.pc.getStats();
    report.forEach((stat: unknown) => {
      if (!isRecord(stat) || stat.type !== 'outbound-rtp') return;
      if (stat.kind === 'video') {
        if (typeof stat.pliCount === 'number') out.videoPliCount += stat.pliCount;
        if (typeof stat.framesEncoded === 'number') out.videoFramesEncoded += stat.framesEncoded;
      } else if (stat.kind === 'audio' && typeof stat.bytesSent === 'number') {
        out.audioBytesSent += stat.bytesSent;
      }
    });
    return out;
  }

  /** The whole stats report as plain entries, for the quality figures. */
  async statsEntries(): Promise<StatsEntry[] | undefined> {
    if (this.closed) return undefined;
    return readStatsEntries((await this.pc.getStats()).values());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the connection leaves the tracks running: they belong to LocalMedia.
    this.pc.close();
  }
}
