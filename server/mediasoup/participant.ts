// One participant's media on mediasoup: a publisher WebRtcTransport (the browser offers,
// we answer; its m-lines become Producers, its two probe data channels are echoed by the
// worker) and a subscriber WebRtcTransport (one Consumer per track of everyone else; we
// offer, strictly one offer at a time, and changes made meanwhile wait for the next one).
import type { Consumer, DataConsumer, DataProducer, MediaKind, Producer, Router, RtpParameters, WebRtcServer, WebRtcTransport } from 'mediasoup/types';
import type { Grants } from '../../signaling/auth.js';
import type { Logger } from '../../signaling/log.js';
import { PROBE_CHANNELS } from '../../signaling/probeChannels.js';
import type { MediaParticipant, MediaParticipantEvents } from '../../signaling/media.js';
import { ErrorCode, type PublishOptions, type ServerStreamStats, type TrackMapping, type TrackSource, type VideoSizeResult } from '../../signaling/protocol.js';
import { CodedError } from '../../signaling/errors.js';
import { MediaRefusedError } from '../../signaling/mediaRefusal.js';
import type { MediaLimits } from '../config.js';
import type { ConnectionLease } from '../sfu/connectionBudget.js';
import { DataBudget, type DataTotals } from '../sfu/dataBudget.js';
import type { RtcOptions } from '../sfu/rtcConfig.js';
import {
  SdpError,
  checkSubscriberAnswer,
  parseSdp,
  publisherAnswer,
  readPublisherOffer,
  remoteDtls,
  subscriberOffer,
  type LocalTransport,
  type SubscriberSlot,
} from './sdp.js';
import type { PictureSize } from '../../signaling/layers.js';
import { guarded } from './faults.js';
import { consumerLayerOptions, preferLayer, setProducerSource } from './layers.js';
import { StreamCounters, type StatsSink } from './streamStats.js';


/** What a participant needs of its room. */
export interface ParticipantContext {
  /** The room's Router, created on first call. */
  router: () => Promise<Router>;
  webRtcServer: WebRtcServer;
  rtc: RtcOptions;
  log: Logger;
  room: string;
  /** A Producer of this participant is ready: everyone else should consume it. */
  produced(participant: MediasoupParticipant, producer: Producer): void;
  /** This participant closed (it left, or its room closed). */
  closed(participant: MediasoupParticipant): void;
  /** This participant kept breaking the data limits: close it, tell signaling (4015). */
  abused(participant: MediasoupParticipant, reason: string): void;
  limits: MediaLimits;
  dataTotals: DataTotals;
  /** One of this participant's callbacks failed: counted, and its media ends. Never throws. */
  fault(participant: MediasoupParticipant, what: string, err: unknown): void;
}

/** How often the probe channels' byte counts are read for the data rate bound. */
const DATA_RATE_CHECK_MS = 1000;
/** What one SCTP chunk carries, to count bytes over the rate as drops as werift's guard does. */
const SCTP_CHUNK_BYTES = 1200;

interface Slot {
  mid: string;
  kind: MediaKind;
  publisherId: string;
  source: TrackSource;
  consumer: Consumer | undefined;
  /** The last consumer's parameters (the first slot is parked with them, see SubscriberSlot). */
  lastParameters: RtpParameters | undefined;
  /** Keyframe requests until the consumer has sent one (see awaitKeyframe). */
  keyframeTimer: NodeJS.Timeout | undefined;
  /** Closed in an offer the browser answered: the m-line may be recycled for a new consumer. */
  recyclable: boolean;
  counters: StreamCounters;
}

export class MediasoupParticipant implements MediaParticipant {
  private publisher: Promise<WebRtcTransport> | undefined;
  private publisherConnected = false;
  private readonly producers = new Map<string, { producer: Producer; counters: StreamCounters }>();
  private readonly dataChannels: (DataProducer | DataConsumer)[] = [];
  private publishInFlight = false;
  private readonly dataBudget: DataBudget;
  private dataRateTimer: NodeJS.Timeout | undefined;
  private dataBytesSeen = 0;
  private subscriber: Promise<WebRtcTransport> | undefined;
  private subscriberConnected = false;
  private readonly slots: Slot[] = [];
  /** The slots as our outstanding offer described them. */
  private offered: { slots: SubscriberSlot[]; consumers: (Consumer | undefined)[] } | undefined;
  private offerVersion = 0;
  private nextMid = 0;
  private negotiationWanted = false;
  private negotiationScheduled = false;
  /** Consumer creation and negotiation run one after another, in order. */
  private work: Promise<void> = Promise.resolve();
  private closed = false;
  /** The camera's capture size, as the latest publish declared it. */
  private videoSource: PictureSize | undefined;
  /** The mid of the screen share's m-line, as the publish requests say. */
  private screenMid: string | undefined;
  /** The subscriber's tile size for each publisher's video (see preferVideoSize). */
  private readonly tiles = new Map<string, PictureSize>();

  constructor(
    readonly id: string,
    readonly grants: Grants,
    private readonly events: MediaParticipantEvents,
    private readonly context: ParticipantContext,
    private readonly lease: ConnectionLease,
  ) {
    this.dataBudget = new DataBudget(context.limits, context.dataTotals, (reason) => context.abused(this, reason));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get transportCount(): number {
    return (this.publisher ? 1 : 0) + (this.subscriber ? 1 : 0);
  }

  get producerList(): Producer[] {
    return [...this.producers.values()].map((p) => p.producer);
  }

  get consumerCount(): number {
    return this.slots.filter((s) => s.consumer).length;
  }

  async publish(offerSdp: string, options: PublishOptions = {}): Promise<string> {
    this.assertOpen();
    if (this.publishInFlight) throw new MediaRefusedError(ErrorCode.PublishInProgress, 'the previous publish is still being applied');
    this.publishInFlight = true;
    this.videoSource = options.video;
    this.screenMid = options.screen ?? this.screenMid;
    try {
      return await this.applyPublisherOffer(offerSdp);
    } finally {
      this.publishInFlight = false;
    }
  }

  private async applyPublisherOffer(offerSdp: string): Promise<string> {
    const session = parseSdp(offerSdp);
    const router = await this.context.router();
    const sections = readPublisherOffer(session, router.rtpCapabilities);
    // Producers of mids an offer leaves out are closed, so one offer's count is the participant's.
    const tracks = sections.filter((s) => s.accepted && s.kind !== 'application').length;
    const maxTracks = this.context.limits.maxTracksPerParticipant;
    if (tracks > maxTracks) throw new MediaRefusedError(ErrorCode.TrackLimit, `the offer publishes ${tracks} tracks; at most ${maxTracks} per participant`);
    const dtls = remoteDtls(session, 'offer');
    const transport = await this.publisherTransport();
    this.assertOpen();
    if (!this.publisherConnected) {
      await transport.connect({ dtlsParameters: dtls });
      this.publisherConnected = true;
    }
    const wanted = new Set<string>();
    for (const section of sections) {
      if (!section.accepted) continue;
      if (section.kind === 'application') {
        if (this.dataChannels.length === 0) await this.echoProbeChannels(transport);
        continue;
      }
      wanted.add(section.mid);
      const source: TrackSource = section.kind === 'audio' ? 'microphone' : section.mid === this.screenMid ? 'screen' : 'camera';
      const existing = this.producers.get(section.mid);
      if (existing) {
        if (source === 'camera') setProducerSource(existing.producer, this.videoSource);
        continue;
      }
      // A stopped screen share's m-line is inactive (not accepted): its Producer closes below,
      // its consumers with it, and sharing again makes a new one on the same m-line.
      const producer = await transport.produce({
        kind: section.kind,
        rtpParameters: section.rtpParameters,
        appData: { participantId: this.id, trackSource: source, ...(source === 'camera' ? { source: this.videoSource } : {}) },
      });
      if (this.closed) {
        producer.close();
        this.assertOpen();
      }
      this.producers.set(section.mid, { producer, counters: new StreamCounters() });
      this.context.produced(this, producer);
    }
    for (const [mid, { producer }] of this.producers) {
      if (wanted.has(mid)) continue;
      producer.close();
      this.producers.delete(mid);
    }
    this.events.publishing([...new Set(this.producerList.map(trackSourceOf))].sort());
    return publisherAnswer(session, sections, localTransport(transport), this.context.limits.dataMessageMaxBytes);
  }

  /**
   * The worker itself echoes the probe: what the browser sends on stream N comes back on
   * stream N (a DataConsumer of the browser's own DataProducer, on the same transport).
   * mediasoup does not speak DCEP, hence the channels negotiated out of band.
   */
  private async echoProbeChannels(transport: WebRtcTransport): Promise<void> {
    for (const channel of PROBE_CHANNELS) {
      const producer = await transport.produceData({
        label: channel.label,
        sctpStreamParameters: { streamId: channel.streamId, ordered: channel.ordered, ...('maxRetransmits' in channel ? { maxRetransmits: channel.maxRetransmits } : {}) },
      });
      this.dataChannels.push(producer);
      const consumer = await transport.consumeData({
        dataProducerId: producer.id,
        ordered: channel.ordered,
        ...('maxRetransmits' in channel ? { maxRetransmits: channel.maxRetransmits } : {}),
      });
      this.dataChannels.push(consumer);
      if (consumer.sctpStreamParameters?.streamId !== channel.streamId) {
        this.context.log.error('probe echo on the wrong SCTP stream', { room: this.context.room, participant: this.id, expected: channel.streamId, got: consumer.sctpStreamParameters?.streamId });
      }
    }
    this.dataRateTimer = setInterval(() => void this.checkDataRate(), DATA_RATE_CHECK_MS);
    this.dataRateTimer.unref();
  }

  /**
   * The worker echoes the probe channels itself, so the rate is read after the fact: what
   * the publisher transport received beyond RTP and RTX is data channel bytes (plus a
   * little RTCP, STUN and SRTP overhead, far below the rate). The transport's own RTP
   * counters are used, not its producers': a producer that closes (a stopped screen share)
   * takes its count with it, and its whole stream would then look like a data flood. The
   * worker drops messages to streams past the channel limit and over the size limit before
   * counting them for a DataProducer (numSctpStreams, maxSctpMessageSize), so the
   * transport's count is the one that sees a flood. Bytes over the budget count as drops,
   * and a participant that keeps sending them is closed (dataBudget.ts).
   */
  private async checkDataRate(): Promise<void> {
    try {
      const transport = await this.publisher;
      if (!transport || this.closed) return;
      const [stats] = await transport.getStats();
      if (this.closed || !stats) return;
      const dataBytes = Math.max(0, stats.bytesReceived - stats.rtpBytesReceived - stats.rtxBytesReceived);
      const fresh = dataBytes - this.dataBytesSeen;
      this.dataBytesSeen = Math.max(this.dataBytesSeen, dataBytes);
      if (fresh > 0) this.dataBudget.charge(fresh, SCTP_CHUNK_BYTES);
    } catch (err) {
      if (!this.closed) this.context.log.debug('data rate check failed', { room: this.context.room, participant: this.id, error: String(err) });
    }
  }

  async answer(answerSdp: string): Promise<void> {
    this.assertOpen();
    const offered = this.offered;
    if (!offered || !this.subscriber) throw new SdpError('no offer is waiting for an answer');
    const session = parseSdp(answerSdp);
    checkSubscriberAnswer(session, offered.slots);
    const transport = await this.subscriber;
    if (!this.subscriberConnected) {
      await transport.connect({ dtlsParameters: remoteDtls(session, 'answer') });
      this.subscriberConnected = true;
    }
    if (this.offered !== offered) return;
    this.offered = undefined;
    offered.slots.forEach((s, i) => {
      const slot = this.slots[i];
      // The first m-line is parked, never rejected, so never recycled either.
      if (slot && i > 0 && !s.consumer && slot.mid === s.mid && !slot.consumer) slot.recyclable = true;
    });
    // Video consumers start paused until the browser has the m-line; then they need a keyframe.
    for (const [i, consumer] of offered.consumers.entries()) {
      if (!consumer || consumer.closed || !consumer.paused) continue;
      await consumer.resume();
      const slot = this.slots[i];
      if (slot?.consumer === consumer) this.awaitKeyframe(slot, consumer);
    }
    if (this.negotiationWanted) this.scheduleNegotiation();
  }

  /** Starts receiving another participant's track. */
  subscribe(producer: Producer, publisherId: string): void {
    if (this.closed || !this.grants.subscribe) return;
    this.enqueue(async () => {
      if (this.closed || producer.closed) return;
      const router = await this.context.router();
      const transport = await this.subscriberTransport();
      if (this.closed || producer.closed) return;
      const slot = this.slotFor(producer.kind, publisherId, trackSourceOf(producer));
      const { layers, preferredLayers } = consumerLayerOptions(producer, this.tiles.get(publisherId));
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities: router.rtpCapabilities,
        paused: producer.kind === 'video',
        mid: slot.mid,
        ...(preferredLayers ? { preferredLayers } : {}),
        appData: { publisherId, layers },
      });
      if (this.closed) return consumer.close();
      slot.consumer = consumer;
      slot.lastParameters = consumer.rtpParameters;
      const drop = this.guard('consumer closed', () => this.dropConsumer(slot, consumer));
      consumer.on('producerclose', drop);
      consumer.on('transportclose', drop);
      this.scheduleNegotiation();
    });
  }

  /** This subscriber's tile for `publisherId`'s video is `tile` device pixels: it gets the layer that fills it, now and for later consumers. */
  preferVideoSize(publisherId: string, tile: PictureSize): VideoSizeResult {
    this.assertOpen();
    this.tiles.delete(publisherId);
    // Bounded: the ids are the client's; only the latest few hundred are kept.
    if (this.tiles.size >= 256) this.tiles.delete(this.tiles.keys().next().value ?? '');
    this.tiles.set(publisherId, tile);
    const slot = this.slots.find((s) => s.source === 'camera' && s.publisherId === publisherId && s.consumer);
    return preferLayer(slot?.consumer, tile);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const transport of [this.publisher, this.subscriber]) {
      transport?.then(
        guarded((what, err) => this.context.fault(this, what, err), 'transport close', (t: WebRtcTransport) => t.close()),
        () => undefined,
      );
    }
    this.producers.clear();
    clearInterval(this.dataRateTimer);
    this.lease.release();
    for (const slot of this.slots) clearInterval(slot.keyframeTimer);
    this.slots.length = 0;
    this.offered = undefined;
    this.context.closed(this);
  }

  /** This participant's streams as the SFU sees them, for `media-stats` (see ServerStreamStats). */
  async collectStats(sink: StatsSink): Promise<ServerStreamStats[]> {
    const out: ServerStreamStats[] = [];
    for (const { producer, counters } of [...this.producers.values()]) {
      if (producer.closed) continue;
      const stats = await producer.getStats().catch(() => []);
      out.push(counters.inbound(this.id, producer.kind, stats, clockRateOf(producer.rtpParameters.codecs[0]?.clockRate, producer.kind), sink));
    }
    for (const slot of [...this.slots]) {
      const consumer = slot.consumer;
      if (!consumer || consumer.closed) continue;
      const stats = await consumer.getStats().catch(() => []);
      out.push(slot.counters.outbound(slot.publisherId, slot.kind, stats, clockRateOf(consumer.rtpParameters.codecs[0]?.clockRate, slot.kind), sink));
    }
    return out;
  }

  private slotFor(kind: MediaKind, publisherId: string, source: TrackSource): Slot {
    const mid = String(this.nextMid++);
    const counters = new StreamCounters();
    const recycled = this.slots.find((s) => s.recyclable && s.kind === kind);
    if (recycled) {
      Object.assign(recycled, { mid, publisherId, source, consumer: undefined, lastParameters: undefined, recyclable: false, counters });
      return recycled;
    }
    const slot: Slot = { mid, kind, publisherId, source, consumer: undefined, lastParameters: undefined, keyframeTimer: undefined, recyclable: false, counters };
    this.slots.push(slot);
    return slot;
  }

  /**
   * Asks the publisher for a keyframe every 500 ms until this consumer has sent one out
   * (mediasoup's keyframe trace), for at most 10 s. One request on resume is not enough:
   * when a publisher has only just joined, its streams may not have reached the worker
   * yet, and a request for a stream the worker has not seen goes nowhere; the receiver
   * cannot ask itself, since the worker holds back every packet until a keyframe.
   */
  private awaitKeyframe(slot: Slot, consumer: Consumer): void {
    if (consumer.kind !== 'video') return;
    let seen = false;
    const onTrace = this.guard('consumer trace', (trace: { type: string; direction: string }) => {
      if (trace.type === 'keyframe' && trace.direction === 'out') seen = true;
    });
    consumer.on('trace', onTrace);
    consumer.enableTraceEvent(['keyframe']).catch(() => undefined);
    let attempts = 0;
    const stop = (): void => {
      clearInterval(slot.keyframeTimer);
      slot.keyframeTimer = undefined;
      consumer.off('trace', onTrace);
      if (!consumer.closed) consumer.enableTraceEvent([]).catch(() => undefined);
    };
    clearInterval(slot.keyframeTimer);
    slot.keyframeTimer = setInterval(
      this.guard('keyframe timer', () => {
        if (seen || consumer.closed || slot.consumer !== consumer || ++attempts > 20) return stop();
        consumer.requestKeyFrame().catch(() => undefined);
      }),
      500,
    );
  }

  private dropConsumer(slot: Slot, consumer: Consumer): void {
    if (slot.consumer !== consumer) return;
    clearInterval(slot.keyframeTimer);
    slot.keyframeTimer = undefined;
    slot.consumer = undefined;
    if (!consumer.closed) consumer.close();
    this.scheduleNegotiation();
  }

  private enqueue(step: () => Promise<void>): void {
    // A failed step is the engine's failure (nothing the browser sent): counted, and this
    // participant's media ends; the chain itself never rejects, so later steps still run.
    this.work = this.work.then(step).catch((err: unknown) => {
      if (!this.closed) this.context.fault(this, 'subscriber media', err);
    });
  }

  private scheduleNegotiation(): void {
    this.negotiationWanted = true;
    if (this.offered || this.negotiationScheduled || this.closed) return;
    this.negotiationScheduled = true;
    // Changes made in the same tick (several tracks of one publisher) share one offer.
    setImmediate(
      this.guard('negotiation', () => {
        this.negotiationScheduled = false;
        this.enqueue(() => this.negotiate());
      }),
    );
  }

  private async negotiate(): Promise<void> {
    if (this.closed || this.offered || !this.negotiationWanted || !this.subscriber) return;
    this.negotiationWanted = false;
    const transport = await this.subscriber;
    const slots: SubscriberSlot[] = this.slots.map((s, i) => ({
      mid: s.mid,
      kind: s.kind,
      consumer: s.consumer && { rtpParameters: s.consumer.rtpParameters, streamId: s.publisherId, trackId: s.consumer.id },
      ...(i === 0 && !s.consumer && s.lastParameters ? { parked: s.lastParameters } : {}),
    }));
    this.offered = { slots, consumers: this.slots.map((s) => s.consumer) };
    const tracks: TrackMapping[] = this.slots.filter((s) => s.consumer).map((s) => ({ mid: s.mid, participantId: s.publisherId, kind: s.kind, source: s.source }));
    this.events.offer(subscriberOffer(slots, localTransport(transport), ++this.offerVersion), tracks);
  }

  private publisherTransport(): Promise<WebRtcTransport> {
    this.publisher ??= this.createTransport('publisher', true);
    return this.publisher;
  }

  private subscriberTransport(): Promise<WebRtcTransport> {
    this.subscriber ??= this.createTransport('subscriber', false);
    return this.subscriber;
  }

  private async createTransport(role: 'publisher' | 'subscriber', sctp: boolean): Promise<WebRtcTransport> {
    const { webRtcServer, rtc } = this.context;
    const router = await this.context.router();
    const transport = await router.createWebRtcTransport({
      webRtcServer,
      enableUdp: true,
      enableTcp: rtc.iceTcp,
      preferUdp: true,
      enableSctp: sctp,
      // The data channel bounds: streams (the probes and a few more) and message size.
      ...(sctp
        ? {
            numSctpStreams: { OS: this.context.limits.dataChannelsPerParticipant, MIS: this.context.limits.dataChannelsPerParticipant },
            maxSctpMessageSize: this.context.limits.dataMessageMaxBytes,
          }
        : {}),
      // Where the bandwidth estimate starts; transport-wide congestion control takes it from there.
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { participantId: this.id, role },
    });
    if (this.closed) transport.close();
    transport.on(
      'dtlsstatechange',
      this.guard(`${role} DTLS state`, (state: string) => {
        if ((state === 'failed' || state === 'closed') && !this.closed) this.events.failed(`${role} DTLS ${state}`);
      }),
    );
    transport.on(
      'icestatechange',
      this.guard(`${role} ICE state`, (state: string) => {
        if (state === 'disconnected' && !this.closed) this.context.log.debug('ice disconnected', { room: this.context.room, participant: this.id, role });
      }),
    );
    return transport;
  }

  /** A callback of this participant, guarded: a throw is counted and ends this participant's media. */
  private guard<A extends unknown[]>(what: string, run: (...args: A) => void): (...args: A) => void {
    return guarded((w, err) => this.context.fault(this, w, err), what, run);
  }

  private assertOpen(): void {
    // Not the SDP's fault: the media closed (failed, or broke the limits) and the client was told.
    if (this.closed) throw new CodedError(ErrorCode.NotJoined, 'this participant\'s media is closed: join again');
  }
}

function localTransport(t: WebRtcTransport): LocalTransport {
  return { ice: t.iceParameters, candidates: t.iceCandidates, dtls: t.dtlsParameters };
}

function clockRateOf(rate: number | undefined, kind: MediaKind): number {
  return rate ?? (kind === 'audio' ? 48000 : 90000);
}

/** Microphone, camera or screen: kept in the Producer's appData when it was made. */
function trackSourceOf(producer: Producer): TrackSource {
  const source = producer.appData.trackSource;
  return source === 'screen' || source === 'camera' || source === 'microphone' ? source : producer.kind === 'audio' ? 'microphone' : 'camera';
}
