// The subscriber connection: receives everyone else's tracks. The SFU offers (again at
// every join and leave), this side answers, strictly one offer at a time. Each offer's
// track list says which participant and kind each transceiver (by mid) carries.
import type { TrackMapping, TrackSource } from '../../signaling/protocol.js';
import { iceGatheringComplete } from './ice.js';
import { readStatsEntries, type StatsEntry } from './stats/entries.js';
import type { StreamOwners } from './stats/report.js';
import { isRecord } from './wire.js';

/** Sends the answer for the latest offer to the SFU. */
export type AnswerExchange = (answerSdp: string) => Promise<void>;

/** Received microphone and camera tracks, grouped by the participant who sends them. */
export type TrackAssignment = ReadonlyMap<string, MediaStreamTrack[]>;
/** Received screen shares, by the participant who shares. */
export type ScreenAssignment = ReadonlyMap<string, MediaStreamTrack>;

export interface ReceivedStats {
  framesDecoded: number;
  audioBytesReceived: number;
  /** The video stream's cumulative receive counters, once it has any (for experiments that diff them). */
  video?: VideoCounters;
}

/** Chromium's cumulative inbound-rtp video counters (W3C webrtc-stats names). */
export interface VideoCounters {
  framesDecoded: number;
  freezeCount: number;
  /** Seconds. */
  totalFreezesDuration: number;
  /** Seconds, summed over emitted frames. */
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  packetsReceived: number;
  packetsLost: number;
  nackCount: number;
}

const VIDEO_COUNTERS = ['framesDecoded', 'freezeCount', 'totalFreezesDuration', 'jitterBufferDelay', 'jitterBufferEmittedCount', 'packetsReceived', 'packetsLost', 'nackCount'] as const;

function videoCounters(stat: Record<string, unknown>): VideoCounters {
  const out = {} as VideoCounters;
  for (const key of VIDEO_COUNTERS) {
    const value = stat[key];
    out[key] = typeof value === 'number' ? value : 0;
  }
  return out;
}

export interface SubscriberCallbacks {
  /** The set of received tracks changed; carries the whole current assignment (screens apart). */
  tracks(assignment: TrackAssignment, screens: ScreenAssignment): void;
  /** ICE/DTLS failed, or an offer could not be answered: this connection is unusable. */
  failed(reason: string): void;
}

interface Received {
  participantId: string;
  source: TrackSource;
  track: MediaStreamTrack;
}

export class Subscriber {
  private readonly pc: RTCPeerConnection;
  /** Mapping of the latest offer, by mid. */
  private mapping = new Map<string, TrackMapping>();
  /** Tracks handed out, by mid. */
  private readonly received = new Map<string, Received>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    configuration: RTCConfiguration,
    private readonly exchange: AnswerExchange,
    private readonly callbacks: SubscriberCallbacks,
    /** Filters both SDPs, the SFU's offer and our answer, to the transport chosen. */
    private readonly candidates: (sdp: string) => string = (sdp) => sdp,
  ) {
    this.pc = new RTCPeerConnection(configuration);
    this.pc.addEventListener('track', (ev) => this.onTrack(ev));
    this.pc.addEventListener('connectionstatechange', () => {
      if (!this.closed && this.pc.connectionState === 'failed') callbacks.failed('subscriber connection failed');
    });
  }

  /** Queues an offer; offers are answered one at a time, in arrival order. */
  handleOffer(sdp: string, tracks: TrackMapping[]): void {
    this.queue = this.queue
      .then(() => this.negotiate(sdp, tracks))
      .catch((err: unknown) => {
        if (this.closed) return;
        console.warn('subscriber: offer failed', err);
        this.callbacks.failed(`could not answer an offer: ${err instanceof Error ? err.message : String(err)}`);
      });
  }

  /** Decoded video frames and received audio bytes, per participant. */
  async stats(): Promise<Map<string, ReceivedStats>> {
    const out = new Map<string, ReceivedStats>();
    if (this.closed) return out;
    const byTrackId = new Map<string, string>();
    for (const { participantId, track, source } of this.received.values()) if (source !== 'screen') byTrackId.set(track.id, participantId);
    const report = await this.pc.getStats();
    report.forEach((stat: unknown) => {
      if (!isRecord(stat) || stat.type !== 'inbound-rtp') return;
      // A screen share is not the participant's camera: these figures are the call's.
      const mapped = typeof stat.mid === 'string' ? this.mapping.get(stat.mid) : undefined;
      if (mapped?.source === 'screen') return;
      const byMid = mapped?.participantId;
      const byTrack = typeof stat.trackIdentifier === 'string' ? byTrackId.get(stat.trackIdentifier) : undefined;
      const participantId = byMid ?? byTrack;
      if (participantId === undefined) return;
      const entry = out.get(participantId) ?? { framesDecoded: 0, audioBytesReceived: 0 };
      if (stat.kind === 'video' && typeof stat.framesDecoded === 'number') entry.framesDecoded += stat.framesDecoded;
      if (stat.kind === 'video') entry.video = videoCounters(stat);
      if (stat.kind === 'audio' && typeof stat.bytesReceived === 'number') entry.audioBytesReceived += stat.bytesReceived;
      out.set(participantId, entry);
    });
    return out;
  }

  /** The whole stats report as plain entries, with who sends what arrives on each mid and track. */
  async statsEntries(): Promise<{ entries: StatsEntry[]; owners: StreamOwners } | undefined> {
    if (this.closed) return undefined;
    const entries = readStatsEntries((await this.pc.getStats()).values());
    // Read after the report: a renegotiation meanwhile has remapped mids for the newer streams.
    const byMid = new Map([...this.mapping].filter(([, t]) => t.source !== 'screen').map(([mid, t]) => [mid, t.participantId]));
    const byTrackId = new Map<string, string>();
    for (const [mid, { participantId, track, source }] of this.received) {
      if (source === 'screen') continue;
      byMid.set(mid, participantId);
      byTrackId.set(track.id, participantId);
    }
    return { entries, owners: { byMid, byTrackId } };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
    this.received.clear();
  }

  private async negotiate(sdp: string, tracks: TrackMapping[]): Promise<void> {
    if (this.closed) return;
    // The mapping is in place before the remote description, so `track` events can use it.
    this.mapping = new Map(tracks.map((t) => [t.mid, t]));
    await this.pc.setRemoteDescription({ type: 'offer', sdp: this.candidates(sdp) });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await iceGatheringComplete(this.pc);
    const local = this.pc.localDescription?.sdp;
    if (this.closed) return;
    if (!local) throw new Error('no local description after answering');
    await this.exchange(this.candidates(local));
    if (!this.closed) this.reconcile();
  }

  private onTrack(ev: RTCTrackEvent): void {
    const mid = ev.transceiver.mid;
    const mapped = mid === null ? undefined : this.mapping.get(mid);
    if (mid === null || !mapped) return;
    this.received.set(mid, { participantId: mapped.participantId, source: mapped.source, track: ev.track });
    this.announce();
  }

  /**
   * After a negotiation, makes the received tracks match the offer's mapping: an m-line
   * whose mid is no longer mapped is gone, and a reused mid may now carry someone else.
   */
  private reconcile(): void {
    const next = new Map<string, Received>();
    for (const transceiver of this.pc.getTransceivers()) {
      const mid = transceiver.mid;
      const mapped = mid === null ? undefined : this.mapping.get(mid);
      const receiving = transceiver.currentDirection === 'recvonly' || transceiver.currentDirection === 'sendrecv';
      if (mid === null || !mapped || !receiving) continue;
      next.set(mid, { participantId: mapped.participantId, source: mapped.source, track: transceiver.receiver.track });
    }
    this.received.clear();
    for (const [mid, entry] of next) this.received.set(mid, entry);
    this.announce();
  }

  private announce(): void {
    const tracks = new Map<string, MediaStreamTrack[]>();
    const screens = new Map<string, MediaStreamTrack>();
    for (const { participantId, source, track } of this.received.values()) {
      if (source === 'screen') {
        screens.set(participantId, track);
        continue;
      }
      const list = tracks.get(participantId) ?? [];
      list.push(track);
      tracks.set(participantId, list);
    }
    this.callbacks.tracks(tracks, screens);
  }
}
