// The media side of one participant: a publisher connection (the browser offers, we
// answer) and a subscriber connection (we offer, the browser answers). Only the server
// ever offers on the subscriber connection, so renegotiation cannot glare; offers are
// sent one at a time and changes made meanwhile are folded into the next one.
import {
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RtcpReceiverInfo,
  type MediaStreamTrack,
  type RTCRtpReceiver,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from 'werift';
import type { Grants } from '../../signaling/auth.js';
import { errorText } from '../../signaling/clientValue.js';
import type { Logger } from '../../signaling/log.js';
import { PROBE_CHANNELS } from '../../signaling/probeChannels.js';
import type { MediaParticipant, MediaParticipantEvents } from '../../signaling/media.js';
import { ErrorCode, type MediaKind, type PublishOptions, type ServerStreamStats, type TrackMapping, type TrackSource } from '../../signaling/protocol.js';
import { CodedError } from '../../signaling/errors.js';
import { MediaRefusedError } from '../../signaling/mediaRefusal.js';
import { publishedMids } from '../../signaling/sdpCheck.js';
import type { MediaLimits } from '../config.js';
import type { ConnectionLease } from './connectionBudget.js';
import { contained } from './contained.js';
import { DataBudget } from './dataBudget.js';
import { boundSctp } from './sctpGuard.js';
import { gatheringComplete, offerAsDtlsClient, peerConnectionConfig, rewriteCandidates, type RtcOptions } from './rtcConfig.js';
import type { SfuTotals } from './totals.js';
import type { TrackForwarder } from './trackForwarder.js';

/** PSFB feedback message types (RFC 4585, RFC 5104). */
const PLI_FMT = 1;
const FIR_FMT = 4;
/** RTPFB generic NACK (RFC 4585). */
const NACK_FMT = 1;

/** What a participant needs from its room. */
export interface ParticipantRoomLink {
  trackPublished(publisher: SfuParticipant, kind: MediaKind, track: MediaStreamTrack, receiver: RTCRtpReceiver, source?: TrackSource, mid?: string): void;
  /** A publish was applied: which of the participant's tracks are sending may have changed. */
  publishingChanged(publisher: SfuParticipant): void;
  connectionFailed(participant: SfuParticipant, reason: string): void;
  participantClosed(participant: SfuParticipant): void;
  /** One of the participant's callbacks or timers threw: log, count, close this participant's media only. Never throws. */
  participantFault(participant: SfuParticipant, what: string, err: unknown): void;
  /** The participant kept breaking the data limits: close its media, tell signaling (4015). Never throws. */
  participantAbused(participant: SfuParticipant, reason: string): void;
  readonly id: string;
  readonly totals: SfuTotals;
  readonly log: Logger;
}

/** The latest RTCP receiver report the subscriber sent about one of our streams. */
interface ReceiverReport {
  /** Cumulative packets lost and extended highest sequence number received (RFC 3550 6.4.1). */
  cumulativeLost: number;
  highestSequence: number;
  jitterMs: number;
}

interface Subscription {
  forwarder: TrackForwarder;
  transceiver: RTCRtpTransceiver;
  report?: ReceiverReport;
  /** The report as it stood at the previous stats interval. */
  reportAtLastInterval?: ReceiverReport;
}

export class SfuParticipant implements MediaParticipant {
  private publisher: RTCPeerConnection | undefined;
  private subscriber: RTCPeerConnection | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private offerOutstanding = false;
  private negotiationWanted = false;
  private negotiationScheduled = false;
  private readonly rtcpSources = new WeakSet<object>();
  /** New subscriptions whose receiver needs a keyframe as soon as packets can reach it. */
  private readonly awaitingKeyframe = new Set<TrackForwarder>();
  /** Mids of the tracks published so far: werift keeps a transceiver per mid for good. */
  private publishedMids = new Set<string>();
  /** Mids the latest offer sends on: a track on another mid (a stopped screen share) is not published. */
  private sendingMids = new Set<string>();
  /** The mid of the screen share's m-line, as the publish requests say. */
  private screenMid: string | undefined;
  private publishing = false;
  private readonly dataBudget: DataBudget;
  private closed = false;

  constructor(
    readonly id: string,
    readonly grants: Grants,
    private readonly events: MediaParticipantEvents,
    private readonly room: ParticipantRoomLink,
    private readonly rtc: RtcOptions,
    private readonly limits: MediaLimits,
    private readonly lease: ConnectionLease,
  ) {
    // Reported from inside werift's SCTP receive path: the close runs on the next turn.
    this.dataBudget = new DataBudget(limits, room.totals.bounds.data, (reason) => {
      setImmediate(this.contained('data abuse', () => this.room.participantAbused(this, reason)));
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True when the latest offer sends on `mid` (a forwarder on another one is idle). */
  isSending(mid: string): boolean {
    return this.sendingMids.has(mid);
  }

  get peerConnectionCount(): number {
    return (this.publisher ? 1 : 0) + (this.subscriber ? 1 : 0);
  }

  /**
   * Signaling checked the offer already (publishGuard.ts); these checks hold for the
   * engine itself: one publish at a time, and tracks counted over every offer (a later
   * offer with new mids adds transceivers to the old ones).
   */
  async publish(offerSdp: string, options: PublishOptions = {}): Promise<string> {
    this.assertOpen();
    if (this.publishing) throw new MediaRefusedError(ErrorCode.PublishInProgress, 'the previous publish is still being applied');
    const mids = new Set([...this.publishedMids, ...publishedMids(offerSdp)]);
    if (mids.size > this.limits.maxTracksPerParticipant) {
      throw new MediaRefusedError(ErrorCode.TrackLimit, `${mids.size} tracks over this participant's offers; at most ${this.limits.maxTracksPerParticipant}`);
    }
    this.publishing = true;
    // Read by ontrack during the negotiation below.
    this.screenMid = options.screen ?? this.screenMid;
    try {
      const answer = await this.applyPublisherOffer(offerSdp);
      this.publishedMids = mids;
      // A stopped screen share leaves its m-line inactive: werift keeps the transceiver and
      // the forwarder, and the share is simply not published until it sends again.
      this.sendingMids = new Set(publishedMids(offerSdp));
      this.room.publishingChanged(this);
      return answer;
    } finally {
      this.publishing = false;
    }
  }

  private async applyPublisherOffer(offerSdp: string): Promise<string> {
    if (!this.publisher) {
      const pc = new RTCPeerConnection({ ...peerConnectionConfig(this.rtc), maxMessageSize: this.limits.dataMessageMaxBytes });
      this.publisher = pc;
      pc.ontrack = ({ track, receiver, transceiver }) => {
        if (this.closed) return;
        const kind = track.kind === 'audio' ? 'audio' : 'video';
        const mid = transceiver.mid ?? '';
        const source: TrackSource = kind === 'audio' ? 'microphone' : mid === this.screenMid ? 'screen' : 'camera';
        this.room.trackPublished(this, kind, track, receiver, source, mid);
      };
      // The client's latency probes, on the SCTP streams PROTOCOL.md fixes: every message
      // comes straight back on its channel.
      for (const probe of PROBE_CHANNELS) {
        const channel = pc.createDataChannel(probe.label, { negotiated: true, id: probe.streamId, ordered: probe.ordered, ...('maxRetransmits' in probe ? { maxRetransmits: probe.maxRetransmits } : {}) });
        channel.onMessage.subscribe((data) => {
          if (!this.closed && channel.readyState === 'open') channel.send(data);
        });
      }
      this.watchConnection(pc, 'publisher');
    }
    const pc = this.publisher;
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    if (pc.sctpTransport) boundSctp(pc.sctpTransport, this.dataBudget);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await gatheringComplete(pc);
    this.assertOpen();
    const local = pc.localDescription;
    if (!local) throw new Error('no local description');
    return rewriteCandidates(local.sdp, this.rtc);
  }

  async answer(answerSdp: string): Promise<void> {
    this.assertOpen();
    if (!this.subscriber || !this.offerOutstanding) throw new Error('no offer is waiting for an answer');
    await this.subscriber.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    this.offerOutstanding = false;
    this.watchRtcp();
    this.requestPendingKeyframes();
    if (this.negotiationWanted) this.scheduleNegotiation();
  }

  /**
   * Starts receiving a forwarded track. It runs inside the publisher's negotiation (werift
   * announces the track there), so a failure is this subscriber's fault, not the publisher's.
   */
  subscribe(forwarder: TrackForwarder): void {
    if (this.closed || !this.grants.subscribe || this.subscriptions.has(forwarder.id)) return;
    try {
      const pc = this.subscriberConnection();
      const transceiver = forwarder.addSubscriber(this.id, (track) => pc.addTransceiver(track, { direction: 'sendonly' }));
      this.subscriptions.set(forwarder.id, { forwarder, transceiver });
      this.awaitingKeyframe.add(forwarder);
      this.scheduleNegotiation();
    } catch (err) {
      this.room.participantFault(this, 'subscribe', err);
    }
  }

  /**
   * Stops receiving a forwarded track (its publisher left). Never throws: it runs while
   * the publisher leaves, and that leave must complete for everyone else in the room.
   */
  unsubscribe(forwarder: TrackForwarder): void {
    const sub = this.subscriptions.get(forwarder.id);
    if (!sub) return;
    this.subscriptions.delete(forwarder.id);
    this.awaitingKeyframe.delete(forwarder);
    this.tearDown('stop forwarding', () => forwarder.removeSubscriber(this.id));
    const pc = this.subscriber;
    if (this.closed || !pc) return;
    // werift throws "Sender does not exist" when a hostile answer left its transceivers
    // half negotiated; the track is gone from the forwarder either way.
    this.tearDown('remove the track', () => pc.removeTrack(sub.transceiver.sender));
    this.scheduleNegotiation();
  }

  /** Releases both connections and every subscription. Never throws (see unsubscribe). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { forwarder } of this.subscriptions.values()) this.tearDown('stop forwarding', () => forwarder.removeSubscriber(this.id));
    this.subscriptions.clear();
    this.awaitingKeyframe.clear();
    const pcs = [this.publisher, this.subscriber];
    this.publisher = undefined;
    this.subscriber = undefined;
    for (const pc of pcs) if (pc) this.tearDown('close a peer connection', () => void pc.close().catch(() => undefined));
    this.lease.release();
    this.tearDown('leave the room', () => this.room.participantClosed(this));
  }

  /** One step of a teardown: a failure is logged and the teardown goes on. */
  private tearDown(step: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.room.totals.internalErrors++;
      this.room.log.error('media teardown step failed', { room: this.room.id, participant: this.id, step, error: errorText(err) });
    }
  }

  /** A callback or timer of this participant, contained (see contained.ts). */
  private contained<A extends unknown[]>(what: string, run: (...args: A) => void): (...args: A) => void {
    return contained(run, (err) => this.room.participantFault(this, what, err));
  }

  private subscriberConnection(): RTCPeerConnection {
    if (!this.subscriber) {
      this.subscriber = new RTCPeerConnection(peerConnectionConfig(this.rtc));
      this.watchConnection(this.subscriber, 'subscriber');
      this.subscriber.connectionStateChange.subscribe(
        this.contained('subscriber connected', (state) => {
          if (state === 'connected') this.requestPendingKeyframes();
        }),
      );
    }
    return this.subscriber;
  }

  private scheduleNegotiation(): void {
    this.negotiationWanted = true;
    if (this.offerOutstanding || this.negotiationScheduled || this.closed) return;
    this.negotiationScheduled = true;
    // Changes made in the same tick (several tracks of one publisher) share one offer.
    setImmediate(
      this.contained('subscriber negotiation', () => {
        this.negotiationScheduled = false;
        this.negotiate().catch((err: unknown) => {
          // With the offer outstanding for good, this subscriber would get no more offers.
          if (!this.closed) this.room.participantFault(this, 'subscriber negotiation', err);
        });
      }),
    );
  }

  private async negotiate(): Promise<void> {
    const pc = this.subscriber;
    if (this.closed || !pc || this.offerOutstanding || !this.negotiationWanted) return;
    this.negotiationWanted = false;
    this.offerOutstanding = true;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await gatheringComplete(pc);
    if (this.closed) return;
    const local = pc.localDescription;
    if (!local) throw new Error('no local description');
    const tracks: TrackMapping[] = [];
    for (const { forwarder, transceiver } of this.subscriptions.values()) {
      if (transceiver.mid !== null) tracks.push({ mid: transceiver.mid, participantId: forwarder.publisherId, kind: forwarder.kind, source: forwarder.trackSource });
    }
    this.events.offer(offerAsDtlsClient(rewriteCandidates(local.sdp, this.rtc)), tracks);
  }

  /**
   * A receiver can only start decoding at a keyframe. Asking when the subscription is
   * made is too early (the keyframe would arrive before the transport is up), so ask once
   * the connection is up and the subscription negotiated, without waiting for the
   * browser's own PLI.
   */
  private requestPendingKeyframes(): void {
    if (this.subscriber?.connectionState !== 'connected' || this.offerOutstanding) return;
    for (const forwarder of this.awaitingKeyframe) forwarder.requestKeyframe();
    this.awaitingKeyframe.clear();
  }

  /**
   * Catches keyframe requests at the transport, before werift routes them: werift 0.25
   * routes a PLI by its sender SSRC first, so a request can miss the RTP sender.
   */
  private watchRtcp(): void {
    const pc = this.subscriber;
    if (!pc) return;
    for (const transceiver of pc.getTransceivers()) {
      const transport = transceiver.sender.dtlsTransport;
      if (!transport || this.rtcpSources.has(transport)) continue;
      this.rtcpSources.add(transport);
      transport.onRtcp.subscribe(this.contained('subscriber RTCP', (packet: RtcpPacket) => this.handleSubscriberRtcp(packet)));
    }
  }

  private handleSubscriberRtcp(packet: RtcpPacket): void {
    if (packet instanceof RtcpRrPacket || packet instanceof RtcpSrPacket) {
      for (const report of packet.reports) this.receiverReport(report);
      return;
    }
    if (packet instanceof RtcpTransportLayerFeedback) {
      if (packet.feedback?.count === NACK_FMT) this.room.totals.nacksReceived++;
      return;
    }
    if (!(packet instanceof RtcpPayloadSpecificFeedback)) return;
    const feedback = packet.feedback;
    const ssrcs: number[] = [];
    if (feedback.count === PLI_FMT) ssrcs.push(feedback.mediaSsrc);
    else if (feedback.count === FIR_FMT && 'fir' in feedback) ssrcs.push(...feedback.fir.map((entry) => entry.ssrc));
    else return;
    this.room.totals.keyframeRequestsReceived++;
    for (const { forwarder, transceiver } of this.subscriptions.values()) {
      if (ssrcs.includes(transceiver.sender.ssrc)) forwarder.requestKeyframe();
    }
  }

  private receiverReport(report: RtcpReceiverInfo): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.transceiver.sender.ssrc !== report.ssrc) continue;
      const clockRate = sub.forwarder.stats.clockRate;
      sub.report = {
        cumulativeLost: report.packetsLost,
        highestSequence: report.highestSequence,
        jitterMs: (report.jitter / clockRate) * 1000,
      };
    }
  }

  /**
   * RTT as werift's sender measures it (it matches LSR against the sender reports it sent).
   * Computing it from the report's LSR against wall-clock NTP is not possible here:
   * werift 0.25 writes the fraction of its SR NTP timestamps as decimal milliseconds, not
   * in 1/2^32 s, so LSR is not a true NTP middle word (we saw 80-950 ms on loopback).
   * Read at the stats tick, not per report: werift builds all of a sender's stats to
   * answer, and a browser sends several reports a second.
   */
  private senderRttMs(sub: Subscription): number | null {
    const remote = sub.transceiver.sender.collectStats(Date.now()).find((s) => s.type === 'remote-inbound-rtp');
    const rtt = remote && 'roundTripTime' in remote ? remote.roundTripTime : undefined;
    return typeof rtt === 'number' && Number.isFinite(rtt) ? rtt * 1000 : null;
  }

  /**
   * This participant's outbound streams as the SFU sees them (see ServerStreamStats).
   * Loss is over the stats interval, from the cumulative counters of the receiver reports:
   * a browser sends many reports a second (with its NACKs and transport feedback), so the
   * fraction lost of the latest one covers only a few milliseconds and is mostly zero.
   * Only the room's stats tick calls this.
   */
  outboundStats(): ServerStreamStats[] {
    const out: ServerStreamStats[] = [];
    for (const sub of this.subscriptions.values()) {
      const { forwarder, report } = sub;
      const last = sub.reportAtLastInterval;
      sub.reportAtLastInterval = report;
      const expected = report && last ? report.highestSequence - last.highestSequence : 0;
      const lost = report && last ? report.cumulativeLost - last.cumulativeLost : 0;
      const counters = forwarder.sinkCounters(this.id);
      out.push({
        direction: 'outbound',
        participantId: forwarder.publisherId,
        kind: forwarder.kind,
        packets: counters?.packetsSent ?? 0,
        lossPercent: expected > 0 ? (Math.max(0, lost) / expected) * 100 : null,
        jitterMs: report ? report.jitterMs : null,
        rttMs: report ? this.senderRttMs(sub) : null,
        impairmentDropped: counters?.impairmentDropped ?? 0,
      });
    }
    return out;
  }

  private watchConnection(pc: RTCPeerConnection, role: 'publisher' | 'subscriber'): void {
    pc.connectionStateChange.subscribe(
      this.contained(`${role} connection state`, (state) => {
        if (state === 'failed' && !this.closed) this.room.connectionFailed(this, `${role} connection failed`);
      }),
    );
  }

  private assertOpen(): void {
    // Not the SDP's fault: the media closed (failed, or broke the limits) and the client was told.
    if (this.closed) throw new CodedError(ErrorCode.NotJoined, 'this participant\'s media is closed: join again');
  }
}
