// One published track and everyone who receives it: each RTP packet from the publisher is
// measured (RFC 3550) and written, undecoded, to every subscriber's outgoing track.
// Keyframe requests from subscribers reach the publisher, rate-limited.
import { randomUUID } from 'node:crypto';
import { MediaStreamTrack, type RTCRtpReceiver, type RtpPacket } from 'werift';
import type { MediaKind } from '../../signaling/protocol.js';
import { RtpStreamStats, type StreamStatsSnapshot } from './rtpStreamStats.js';

/** At most one keyframe request to a publisher per this interval. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;

export interface ForwarderCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  keyframeRequests: number;
  keyframeRequestsSuppressed: number;
}

export class TrackForwarder {
  readonly id = randomUUID();
  readonly stats: RtpStreamStats;
  readonly counters: ForwarderCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    keyframeRequests: 0,
    keyframeRequestsSuppressed: 0,
  };
  /** Outgoing tracks by subscriber participant id. */
  private readonly sinks = new Map<string, MediaStreamTrack>();
  private lastKeyframeRequest = -Infinity;
  private pendingKeyframeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    readonly publisherId: string,
    readonly kind: MediaKind,
    private readonly source: MediaStreamTrack,
    private readonly receiver: RTCRtpReceiver,
  ) {
    this.stats = new RtpStreamStats(source.codec?.clockRate ?? (kind === 'audio' ? 48000 : 90000));
    this.unsubscribe = source.onReceiveRtp.subscribe((rtp) => this.forward(rtp)).unSubscribe;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Creates the outgoing track for a subscriber; the caller adds it to its connection. */
  addSubscriber(subscriberId: string): MediaStreamTrack {
    const existing = this.sinks.get(subscriberId);
    if (existing) return existing;
    const track = new MediaStreamTrack({ kind: this.kind });
    this.sinks.set(subscriberId, track);
    return track;
  }

  removeSubscriber(subscriberId: string): void {
    const track = this.sinks.get(subscriberId);
    if (!track) return;
    this.sinks.delete(subscriberId);
    track.stop();
  }

  get subscriberCount(): number {
    return this.sinks.size;
  }

  /**
   * Asks the publisher for a keyframe (PLI). Requests closer together than the interval
   * are folded into one sent at the end of it.
   */
  requestKeyframe(): void {
    if (this.closed || this.kind !== 'video') return;
    const now = performance.now();
    const wait = this.lastKeyframeRequest + KEYFRAME_REQUEST_INTERVAL_MS - now;
    if (wait <= 0) {
      this.sendPli(now);
      return;
    }
    this.counters.keyframeRequestsSuppressed++;
    this.pendingKeyframeTimer ??= setTimeout(() => {
      this.pendingKeyframeTimer = undefined;
      this.sendPli(performance.now());
    }, wait);
  }

  snapshot(): StreamStatsSnapshot {
    return this.stats.snapshot();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.pendingKeyframeTimer);
    this.pendingKeyframeTimer = undefined;
    for (const track of this.sinks.values()) track.stop();
    this.sinks.clear();
  }

  private sendPli(now: number): void {
    if (this.closed) return;
    const ssrc = this.source.ssrc;
    if (ssrc === undefined) return;
    this.lastKeyframeRequest = now;
    this.counters.keyframeRequests++;
    this.receiver.sendRtcpPLI(ssrc).catch(() => {
      // The publisher's transport is going away; nothing to ask any more.
    });
  }

  private forward(rtp: RtpPacket): void {
    const size = rtp.payload.length;
    this.counters.packetsIn++;
    this.counters.bytesIn += size;
    this.stats.record(rtp.header.sequenceNumber, rtp.header.timestamp, performance.now(), size);
    // Header extension ids were negotiated with the publisher, not with the subscribers;
    // each sender writes its own (mid, abs-send-time, transport-cc).
    rtp.header.extensions = [];
    for (const track of this.sinks.values()) {
      track.writeRtp(rtp);
      this.counters.packetsOut++;
      this.counters.bytesOut += size;
    }
  }
}
