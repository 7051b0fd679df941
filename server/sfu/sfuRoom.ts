// The media side of one room: its participants and the tracks they publish. Every track
// is forwarded to every other participant that may subscribe. Every few seconds each
// participant is told what the SFU measures of its streams.
import type { MediaStreamTrack, RTCRtpReceiver } from 'werift';
import type { Grants } from '../../signaling/auth.js';
import { errorText } from '../../signaling/clientValue.js';
import { MEDIA_ABUSE_REASON } from '../../signaling/mediaRefusal.js';
import type { Logger } from '../../signaling/log.js';
import type { MediaParticipantEvents, MediaRoom } from '../../signaling/media.js';
import type { ImpairmentSettings, MediaKind, ServerStreamStats, TrackSource } from '../../signaling/protocol.js';
import type { MediaLimits } from '../config.js';
import type { ConnectionBudget } from './connectionBudget.js';
import { contained } from './contained.js';
import { Impairment } from './impairment.js';
import type { RtcOptions } from './rtcConfig.js';
import { SfuParticipant, type ParticipantRoomLink } from './sfuParticipant.js';
import type { SfuTotals, StreamQualityObserver } from './totals.js';
import { TrackForwarder } from './trackForwarder.js';

export interface SfuRoomOptions {
  rtc: RtcOptions;
  totals: SfuTotals;
  statsIntervalMs: number;
  observer: StreamQualityObserver | undefined;
  log: Logger;
  limits: MediaLimits;
  budget: ConnectionBudget;
}

export class SfuRoom implements MediaRoom, ParticipantRoomLink {
  private readonly participants = new Map<string, { media: SfuParticipant; events: MediaParticipantEvents }>();
  /** Forwarders by publisher participant id. */
  private readonly forwarders = new Map<string, TrackForwarder[]>();
  /** What each publisher was last said to publish (publishingChanged), so only changes are told. */
  private readonly announced = new Map<string, string>();
  private impairment: Impairment | undefined;
  private readonly statsTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly options: SfuRoomOptions,
    private readonly onClose: (room: SfuRoom) => void,
  ) {
    // Each participant's part of the tick is contained on its own; this catches the rest.
    this.statsTimer = setInterval(
      contained(
        () => this.reportStats(),
        (err) => this.roomFault('stats tick', err),
      ),
      options.statsIntervalMs,
    );
    this.statsTimer.unref();
  }

  get totals(): SfuTotals {
    return this.options.totals;
  }

  get log(): Logger {
    return this.options.log;
  }

  join(participantId: string, grants: Grants, events: MediaParticipantEvents): SfuParticipant {
    if (this.closed) throw new Error(`media room ${this.id} is closed`);
    // Throws MediaRefusedError (MEDIA_CAPACITY) when this node's connections are taken.
    const lease = this.options.budget.reserve(grants);
    const media = new SfuParticipant(participantId, grants, events, this, this.options.rtc, this.options.limits, lease);
    this.participants.set(participantId, { media, events });
    for (const [publisherId, list] of this.forwarders) {
      if (publisherId === participantId) continue;
      for (const forwarder of list) media.subscribe(forwarder);
    }
    return media;
  }

  setImpairment(settings: ImpairmentSettings | null): void {
    this.impairment = settings ? new Impairment(settings) : undefined;
  }

  /** werift's ontrack, inside the publisher's negotiation; subscribers contain their own failures. */
  trackPublished(publisher: SfuParticipant, kind: MediaKind, track: MediaStreamTrack, receiver: RTCRtpReceiver, source?: TrackSource, mid?: string): void {
    if (this.closed || publisher.isClosed) return;
    let forwarder: TrackForwarder;
    let list: TrackForwarder[];
    try {
      forwarder = new TrackForwarder(
        publisher.id,
        kind,
        track,
        receiver,
        {
          totals: this.options.totals,
          impairment: () => this.impairment,
          fault: (what, err) => this.participantFault(publisher, what, err),
        },
        source,
        mid,
      );
      list = this.forwarders.get(publisher.id) ?? [];
      list.push(forwarder);
      this.forwarders.set(publisher.id, list);
    } catch (err) {
      this.participantFault(publisher, 'track published', err);
      return;
    }
    for (const [id, { media }] of this.participants) {
      if (id !== publisher.id) media.subscribe(forwarder);
    }
    // The publish that announced this track tells signaling once it is applied (publishingChanged).
  }

  /**
   * Tells signaling what the publisher sends: the sources of its forwarders on m-lines its
   * latest offer sends on (a stopped screen share's m-line is inactive). Only a change is told.
   */
  publishingChanged(publisher: SfuParticipant): void {
    const list = this.forwarders.get(publisher.id) ?? [];
    const sources = [...new Set(list.filter((f) => f.mid === '' || publisher.isSending(f.mid)).map((f) => f.trackSource))].sort();
    const key = sources.join(',');
    if (this.announced.get(publisher.id) === key) return;
    this.announced.set(publisher.id, key);
    try {
      this.participants.get(publisher.id)?.events.publishing(sources);
    } catch (err) {
      this.participantFault(publisher, 'publishing changed', err);
    }
  }

  connectionFailed(participant: SfuParticipant, reason: string): void {
    this.participants.get(participant.id)?.events.failed(reason);
  }

  /** A participant kept breaking the data limits: its media closes, and signaling closes its socket (4015). Never throws. */
  participantAbused(participant: SfuParticipant, reason: string): void {
    try {
      this.options.log.warn('participant broke the media limits; media closed', { room: this.id, participant: participant.id, reason });
      if (participant.isClosed) return;
      const events = this.participants.get(participant.id)?.events;
      participant.close();
      events?.failed(`${MEDIA_ABUSE_REASON}: ${reason}`);
    } catch (err) {
      this.roomFault('closing an abusive participant', err);
    }
  }

  /**
   * One of a participant's callbacks or timers threw. It is logged and counted, and that
   * participant's media closes (its connections and tracks; everyone else keeps theirs);
   * signaling hears `failed`. Never throws.
   */
  participantFault(participant: SfuParticipant, what: string, err: unknown): void {
    try {
      this.options.totals.internalErrors++;
      this.options.log.error('media callback failed; participant media closed', { room: this.id, participant: participant.id, callback: what, error: errorText(err) });
      if (participant.isClosed) return;
      const events = this.participants.get(participant.id)?.events;
      participant.close();
      events?.failed(`internal error in ${what}`);
    } catch (inner) {
      this.roomFault(`handling a fault in ${what}`, inner);
    }
  }

  /** Forwarders of this room, for metrics and tests. */
  allForwarders(): TrackForwarder[] {
    return [...this.forwarders.values()].flat();
  }

  stats(): { participants: number; peerConnections: number; forwarders: number } {
    let peerConnections = 0;
    for (const { media } of this.participants.values()) peerConnections += media.peerConnectionCount;
    return { participants: this.participants.size, peerConnections, forwarders: this.allForwarders().length };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    // Participants never throw from close (their teardown logs and goes on).
    for (const { media } of [...this.participants.values()]) media.close();
    this.participants.clear();
    this.onClose(this);
  }

  /**
   * A participant closed (left): its tracks go away from everyone else. Never throws:
   * each subscriber's unsubscribe contains its own failures, and a forwarder that fails
   * to close is logged, so the leave always completes.
   */
  participantClosed(media: SfuParticipant): void {
    const participantId = media.id;
    if (this.participants.get(participantId)?.media !== media) return;
    this.participants.delete(participantId);
    this.announced.delete(participantId);
    const published = this.forwarders.get(participantId) ?? [];
    this.forwarders.delete(participantId);
    for (const forwarder of published) {
      for (const { media: other } of this.participants.values()) other.unsubscribe(forwarder);
      try {
        forwarder.close();
      } catch (err) {
        this.options.totals.internalErrors++;
        this.options.log.error('media teardown step failed', { room: this.id, participant: participantId, step: 'close a forwarder', error: errorText(err) });
      }
    }
  }

  /** A failure no single participant is at fault for: logged and counted. Never throws. */
  private roomFault(what: string, err: unknown): void {
    this.options.totals.internalErrors++;
    try {
      this.options.log.error('media room callback failed', { room: this.id, callback: what, error: errorText(err) });
    } catch {
      // Nothing left to tell it to.
    }
  }

  private reportStats(): void {
    const observer = this.options.observer;
    const inbound = new Map<string, ServerStreamStats[]>();
    for (const [publisherId, list] of this.forwarders) {
      const publisher = this.participants.get(publisherId)?.media;
      try {
        this.inboundStats(inbound, publisherId, list);
      } catch (err) {
        if (publisher) this.participantFault(publisher, 'stats', err);
        else this.roomFault('stats', err);
      }
    }
    const at = Date.now();
    for (const [id, { media, events }] of this.participants) {
      try {
        const outbound = media.outboundStats();
        for (const s of outbound) {
          observer?.outboundStream(s.kind, s.rttMs === null ? null : s.rttMs / 1000, s.lossPercent === null ? null : s.lossPercent / 100, s.jitterMs === null ? null : s.jitterMs / 1000);
        }
        const received = inbound.get(id);
        // Members without media (yet) get nothing: at thousands of idle connections the empty
        // messages alone cost 5% of a core.
        if (outbound.length === 0 && !received) continue;
        events.stats(at, received ? [...received, ...outbound] : outbound);
      } catch (err) {
        this.participantFault(media, 'stats', err);
      }
    }
  }

  /** A publisher's streams as the SFU receives them, for the stats tick. */
  private inboundStats(inbound: Map<string, ServerStreamStats[]>, publisherId: string, list: TrackForwarder[]): void {
    const observer = this.options.observer;
    inbound.set(
      publisherId,
      list.map((f) => {
        const s = f.intervalStats();
        if (s.lossRatio !== null) observer?.inboundStream(f.kind, s.jitterMs / 1000, s.lossRatio);
        return {
          direction: 'inbound',
          participantId: publisherId,
          kind: f.kind,
          packets: s.packets,
          lossPercent: s.lossRatio === null ? null : s.lossRatio * 100,
          jitterMs: s.jitterMs,
          rttMs: null,
          impairmentDropped: 0,
        };
      }),
    );
  }
}
