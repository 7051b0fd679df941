// The publisher connection: sends this page's tracks to the SFU. The client always
// offers and the SFU answers, so this side never sees an offer (no glare). It also
// carries the two data channels of the latency probe (the SFU echoes every message), made
// before the first offer so that it negotiates SCTP.
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

/** Sends an offer to the SFU and returns its answer. */
export type PublishExchange = (offerSdp: string) => Promise<string>;

/** The probe's channels to the SFU: one reliable and ordered, one that never retransmits. */
export interface ProbeChannels {
  reliable: RTCDataChannel;
  unreliable: RTCDataChannel;
}

export class Publisher {
  private readonly pc: RTCPeerConnection;
  readonly probeChannels: ProbeChannels;
  private closed = false;

  /** `candidates` filters both SDPs, ours and the SFU's, to the transport chosen. */
  constructor(
    configuration: RTCConfiguration,
    onFailed: () => void,
    private readonly candidates: (sdp: string) => string = (sdp) => sdp,
  ) {
    this.pc = new RTCPeerConnection(configuration);
    this.probeChannels = {
      reliable: this.pc.createDataChannel('probe-reliable', { ordered: true }),
      unreliable: this.pc.createDataChannel('probe-unreliable', { ordered: false, maxRetransmits: 0 }),
    };
    this.pc.addEventListener('connectionstatechange', () => {
      if (!this.closed && this.pc.connectionState === 'failed') onFailed();
    });
  }

  /** Adds the tracks (audio before video), offers them and applies the SFU's answer. */
  async publish(stream: MediaStream, tracks: MediaStreamTrack[], exchange: PublishExchange): Promise<void> {
    if (this.closed) throw new Error('publisher is closed');
    for (const track of tracks) this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await iceGatheringComplete(this.pc);
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp || this.closed) throw new Error('publisher closed while gathering');
    const answer = await exchange(this.candidates(sdp));
    if (this.closed) return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: this.candidates(answer) });
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
