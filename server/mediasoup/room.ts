// The media side of one room on mediasoup: a Router on one worker, the participants'
// transports on it, and every Producer consumed by every other participant that may
// subscribe. Every few seconds each participant is told what the worker measures of its
// streams. When the worker crashes the room is lost, and says so (its people join again);
// the worker pool says when (workers.ts: a stop signal to the process group is no crash).
import type { Producer, Router, RouterRtpCodecCapability } from 'mediasoup/types';
import type { Grants } from '../../signaling/auth.js';
import type { Logger } from '../../signaling/log.js';
import type { MediaParticipantEvents, MediaRoom, MediaRoomEvents } from '../../signaling/media.js';
import type { ImpairmentSettings } from '../../signaling/protocol.js';
import { MEDIA_ABUSE_REASON } from '../../signaling/mediaRefusal.js';
import type { MediaLimits } from '../config.js';
import type { ConnectionBudget } from '../sfu/connectionBudget.js';
import type { RtcOptions } from '../sfu/rtcConfig.js';
import type { SfuTotals, StreamQualityObserver } from '../sfu/totals.js';
import { guarded, type FaultReporter } from './faults.js';
import { MediasoupParticipant, type ParticipantContext } from './participant.js';
import type { PoolWorker } from './workers.js';

/** What the router forwards: Opus (with in-band FEC) and VP8; RTX, NACK, PLI/FIR and transport-cc come with them. */
export const MEDIA_CODECS: RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1, minptime: 10 } },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
];

export interface MediasoupRoomOptions {
  rtc: RtcOptions;
  totals: SfuTotals;
  statsIntervalMs: number;
  observer: StreamQualityObserver | undefined;
  log: Logger;
  limits: MediaLimits;
  budget: ConnectionBudget;
  fault: FaultReporter;
}

export class MediasoupRoom implements MediaRoom {
  private readonly participants = new Map<string, { media: MediasoupParticipant; events: MediaParticipantEvents }>();
  /** Made when the first participant sends or asks for media, not when the room opens (see router()). */
  private routerPromise: Promise<Router> | undefined;
  private readonly statsTimer: NodeJS.Timeout;
  private statsRunning = false;
  private closed = false;

  constructor(
    readonly id: string,
    readonly worker: PoolWorker,
    private readonly options: MediasoupRoomOptions,
    private readonly events: MediaRoomEvents,
    private readonly onClose: (room: MediasoupRoom) => void,
  ) {
    worker.rooms++;
    this.statsTimer = setInterval(guarded(options.fault, 'media stats timer', () => this.reportStats(), { room: id }), options.statsIntervalMs);
    this.statsTimer.unref();
  }

  /**
   * The room's Router, created on first use. A room whose people only signal (chat,
   * presence, a join storm) costs the worker nothing, and opening 600 rooms in a second
   * does not put 600 router creations (mediasoup re-validates its whole capability table
   * for each) on the event loop between the joins.
   */
  private router(): Promise<Router> {
    if (this.routerPromise) return this.routerPromise;
    const room = this.id;
    const created = this.worker.worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { room } });
    created.then(
      guarded(this.options.fault, 'router created', (router: Router) => {
        if (this.closed) router.close();
      }, { room }),
      guarded(this.options.fault, 'router failed', (err: unknown) => this.lose(`could not create the room's router: ${String(err)}`), { room }),
    );
    this.routerPromise = created;
    return created;
  }

  get workerIndex(): number {
    return this.worker.index;
  }

  join(participantId: string, grants: Grants, events: MediaParticipantEvents): MediasoupParticipant {
    if (this.closed) throw new Error(`media room ${this.id} is closed`);
    // Throws MediaRefusedError (MEDIA_CAPACITY) when this node's connections are taken.
    const lease = this.options.budget.reserve(grants);
    const media = new MediasoupParticipant(participantId, grants, events, this.participantContext(), lease);
    this.participants.set(participantId, { media, events });
    for (const [publisherId, { media: other }] of this.participants) {
      if (publisherId === participantId) continue;
      for (const producer of other.producerList) media.subscribe(producer, publisherId);
    }
    return media;
  }

  /** The mediasoup engine forwards inside the worker, out of Node's reach: impairment is the werift engine's (README). */
  setImpairment(settings: ImpairmentSettings | null): void {
    if (settings) this.options.log.warn('impairment is not available on the mediasoup engine', { room: this.id });
  }

  stats(): { participants: number; peerConnections: number; forwarders: number } {
    let peerConnections = 0;
    let forwarders = 0;
    for (const { media } of this.participants.values()) {
      peerConnections += media.transportCount;
      forwarders += media.producerList.length;
    }
    return { participants: this.participants.size, peerConnections, forwarders };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    for (const { media } of [...this.participants.values()]) media.close();
    this.participants.clear();
    this.worker.rooms--;
    this.routerPromise?.then(
      guarded(this.options.fault, 'router close', (router: Router) => router.close(), { room: this.id }),
      () => undefined,
    );
    this.onClose(this);
  }

  private participantContext(): ParticipantContext {
    return {
      rtc: this.options.rtc,
      log: this.options.log,
      room: this.id,
      webRtcServer: this.worker.webRtcServer,
      router: () => this.router(),
      produced: (publisher: MediasoupParticipant, producer: Producer) => {
        for (const [id, { media }] of this.participants) if (id !== publisher.id) media.subscribe(producer, publisher.id);
      },
      closed: (participant: MediasoupParticipant) => {
        if (this.participants.get(participant.id)?.media === participant) this.participants.delete(participant.id);
      },
      abused: (participant: MediasoupParticipant, reason: string) => {
        this.options.log.warn('participant broke the media limits; media closed', { room: this.id, participant: participant.id, reason });
        if (participant.isClosed) return;
        const events = this.participants.get(participant.id)?.events;
        participant.close();
        events?.failed(`${MEDIA_ABUSE_REASON}: ${reason}`);
      },
      limits: this.options.limits,
      dataTotals: this.options.totals.bounds.data,
      fault: (participant: MediasoupParticipant, what: string, err: unknown) => this.participantFault(participant, what, err),
    };
  }

  /**
   * One of a participant's callbacks or timers failed: logged and counted, and that
   * participant's media closes (everyone else keeps theirs); signaling hears `failed`.
   * Never throws.
   */
  private participantFault(participant: MediasoupParticipant, what: string, err: unknown): void {
    this.options.fault(what, err, { room: this.id, participant: participant.id });
    if (participant.isClosed) return;
    try {
      const events = this.participants.get(participant.id)?.events;
      participant.close();
      events?.failed(`internal error in ${what}`);
    } catch (inner) {
      this.options.fault(`handling a fault in ${what}`, inner, { room: this.id, participant: participant.id });
    }
  }

  /** The room's media is gone for good (its worker crashed): it closes, and signaling is told. */
  lose(reason: string): void {
    if (this.closed) return;
    this.options.log.error('media room lost', { room: this.id, worker: this.worker.index, reason });
    this.close();
    this.events.lost(reason);
  }

  private reportStats(): void {
    // A read that is still running (a busy worker) is not piled onto.
    if (this.statsRunning || this.closed) return;
    this.statsRunning = true;
    this.collectStats()
      .catch((err: unknown) => this.options.fault('media stats', err, { room: this.id }))
      .finally(() => {
        this.statsRunning = false;
      });
  }

  private async collectStats(): Promise<void> {
    const observer = this.options.observer;
    const at = Date.now();
    for (const [, { media, events }] of [...this.participants]) {
      if (media.isClosed) continue;
      const streams = await media.collectStats(this.options.totals);
      for (const s of streams) {
        if (s.direction === 'inbound') {
          if (s.lossPercent !== null && s.jitterMs !== null) observer?.inboundStream(s.kind, s.jitterMs / 1000, s.lossPercent / 100);
        } else {
          observer?.outboundStream(s.kind, s.rttMs === null ? null : s.rttMs / 1000, s.lossPercent === null ? null : s.lossPercent / 100, s.jitterMs === null ? null : s.jitterMs / 1000);
        }
      }
      if (streams.length > 0 && !media.isClosed) events.stats(at, streams);
    }
  }
}
