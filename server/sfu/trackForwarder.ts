// One published track and everyone who receives it: each RTP packet from the publisher is
// measured (RFC 3550) and handed, undecoded, to every subscriber's RTP sender.
// Keyframe requests from subscribers reach the publisher, rate-limited.
import { randomUUID } from 'node:crypto';
import { MediaStreamTrack, type RTCRtpReceiver, type RTCRtpSender, type RtpPacket } from 'werift';
import type { MediaKind, TrackSource } from '../../signaling/protocol.js';
import { contained } from './contained.js';
import type { Impairment } from './impairment.js';
import { RtpStreamStats, type StreamStatsSnapshot } from './rtpStreamStats.js';
import type { KindTotals, SfuTotals } from './totals.js';

/** At most one keyframe request to a publisher per this interval. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;

/** One subscriber's outgoing copy of the track. */
interface Sink {
  /** Gives the subscriber's connection its track (SDP, msid); packets do not go through it. */
  track: MediaStreamTrack;
  /**
   * Where packets go. Writing to the track instead would cost two more copies of the
   * packet header, a listener dispatch and a promise per packet and subscriber (werift's
   * MediaStreamTrack.writeRtp clones, its broadcast clones again, then the sender clones
   * the packet it is given): about a tenth of the server's CPU per forwarded packet at
   * 16 subscribers (bench:sfu).
   */
  sender: RTCRtpSender;
  packetsSent: number;
  impairmentDropped: number;
}

/** The sender settles its own errors (a failed UDP send resolves); this only keeps a late rejection from being unhandled. */
const ignoreSendFailure = (): void => undefined;

/** What a forwarder needs from its room. */
export interface ForwarderContext {
  totals: SfuTotals;
  /** The room's impairment, if any is set. */
  impairment(): Impairment | undefined;
  /** A packet handler or timer of this forwarder threw (the publisher's media is at fault). Never throws. */
  fault(what: string, err: unknown): void;
}

export class TrackForwarder {
  readonly id = randomUUID();
  readonly stats: RtpStreamStats;
  /** Outgoing copies by subscriber participant id. */
  private readonly sinks = new Map<string, Sink>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly kindTotals: KindTotals;
  private lastKeyframeRequest = -Infinity;
  private lastInterval: { expected: number; received: number } | undefined;
  private pendingKeyframeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    readonly publisherId: string,
    readonly kind: MediaKind,
    private readonly source: MediaStreamTrack,
    private readonly receiver: RTCRtpReceiver,
    private readonly context: ForwarderContext,
    /** Microphone, camera or screen share: subscribers are told which (TrackMapping.source). */
    readonly trackSource: TrackSource = kind === 'audio' ? 'microphone' : 'camera',
    /** The publisher's m-line it arrives on. */
    readonly mid = '',
  ) {
    this.kindTotals = context.totals.byKind[kind];
    this.stats = new RtpStreamStats(source.codec?.clockRate ?? (kind === 'audio' ? 48000 : 90000));
    // werift calls this from its UDP socket's handler: a throw must stop here.
    this.unsubscribe = source.onReceiveRtp.subscribe(contained((rtp: RtpPacket) => this.forward(rtp), (err) => context.fault('forward RTP', err))).unSubscribe;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Creates the outgoing track for a subscriber; `attach` adds it to the subscriber's
   * connection and returns what it made (a transceiver), whose sender packets go to.
   */
  addSubscriber<T extends { sender: RTCRtpSender }>(subscriberId: string, attach: (track: MediaStreamTrack) => T): T {
    if (this.sinks.has(subscriberId)) throw new Error(`${subscriberId} already receives track ${this.id}`);
    const track = new MediaStreamTrack({ kind: this.kind });
    const attached = attach(track);
    this.sinks.set(subscriberId, { track, sender: attached.sender, packetsSent: 0, impairmentDropped: 0 });
    return attached;
  }

  removeSubscriber(subscriberId: string): void {
    const sink = this.sinks.get(subscriberId);
    if (!sink) return;
    this.sinks.delete(subscriberId);
    sink.track.stop();
  }

  /** Packets sent to, and dropped by impairment on the way to, one subscriber. */
  sinkCounters(subscriberId: string): { packetsSent: number; impairmentDropped: number } | undefined {
    const sink = this.sinks.get(subscriberId);
    return sink && { packetsSent: sink.packetsSent, impairmentDropped: sink.impairmentDropped };
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
    this.pendingKeyframeTimer ??= setTimeout(
      contained(
        () => {
          this.pendingKeyframeTimer = undefined;
          this.sendPli(performance.now());
        },
        (err) => this.context.fault('keyframe request', err),
      ),
      wait,
    );
  }

  snapshot(): StreamStatsSnapshot {
    return this.stats.snapshot();
  }

  /**
   * Loss since the previous call (the stats interval), from RFC 3550 counters, with
   * cumulative packets and current jitter. Only the room's stats tick calls it.
   */
  intervalStats(): { packets: number; lossRatio: number | null; jitterMs: number } {
    const now = this.stats.snapshot();
    const last = this.lastInterval;
    this.lastInterval = { expected: now.packetsExpected, received: now.packetsReceived };
    const expected = now.packetsExpected - (last?.expected ?? 0);
    const received = now.packetsReceived - (last?.received ?? 0);
    // A resynchronised stream restarts its counters; that interval says nothing.
    const lossRatio = expected > 0 && received >= 0 ? Math.max(0, expected - received) / expected : null;
    return { packets: now.packetsReceived, lossRatio, jitterMs: now.jitterMs };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.pendingKeyframeTimer);
    this.pendingKeyframeTimer = undefined;
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    for (const sink of this.sinks.values()) sink.track.stop();
    this.sinks.clear();
  }

  private sendPli(now: number): void {
    if (this.closed) return;
    const ssrc = this.source.ssrc;
    if (ssrc === undefined) return;
    this.lastKeyframeRequest = now;
    this.context.totals.plisSent++;
    this.receiver.sendRtcpPLI(ssrc).catch(() => {
      // The publisher's transport is going away; nothing to ask any more.
    });
  }

  private forward(rtp: RtpPacket): void {
    const size = rtp.payload.length;
    const totals = this.kindTotals;
    totals.packetsIn++;
    totals.bytesIn += size;
    this.stats.record(rtp.header.sequenceNumber, rtp.header.timestamp, performance.now(), size);
    // Header extension ids were negotiated with the publisher, not with the subscribers;
    // each sender writes its own (mid, abs-send-time, transport-cc).
    rtp.header.extensions = [];
    const impairment = this.context.impairment();
    for (const [subscriberId, sink] of this.sinks) {
      if (impairment?.applies(subscriberId, this.kind)) {
        const { drop, delayMs } = impairment.decide();
        if (drop) {
          sink.impairmentDropped++;
          totals.packetsDroppedImpairment++;
          continue;
        }
        if (delayMs > 0) {
          const timer = setTimeout(
            contained(
              () => {
                this.delayed.delete(timer);
                if (this.sinks.get(subscriberId) === sink) this.send(sink, rtp, size);
              },
              (err) => this.context.fault('delayed forward', err),
            ),
            delayMs,
          );
          this.delayed.add(timer);
          continue;
        }
      }
      this.send(sink, rtp, size);
    }
  }

  /** The sender copies the packet before it rewrites SSRC, sequence number, timestamp and extensions, so one packet serves every subscriber. */
  private send(sink: Sink, rtp: RtpPacket, size: number): void {
    sink.sender.sendRtp(rtp).catch(ignoreSendFailure);
    sink.packetsSent++;
    this.kindTotals.packetsForwarded++;
    this.kindTotals.bytesForwarded += size;
  }
}
