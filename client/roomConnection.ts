// One connection to a room: the signaling socket with its join, plus the publisher and
// subscriber peer connections that live and die with it. A reconnect throws the whole
// thing away and makes a new one; nothing of it is reused. The transport choice shapes
// both peer connections, and the latency probe runs while the connection is joined.
import type { ImpairmentSettings, JoinResult, LeaveReason, MediaKind, ParticipantInfo, ServerStreamStats, TrackMapping } from '../signaling/protocol.js';
import { Emitter } from './emitter.js';
import { CallError, errorForClose } from './errors.js';
import { LatencyProbe } from './latencyProbe.js';
import { Publisher, type PublishedStats } from './publisher.js';
import type { CallStatsSnapshot } from './qualityMonitor.js';
import { SignalingClient, LOCAL_CLOSE_CODE } from './signaling.js';
import { Subscriber, type ReceivedStats, type TrackAssignment } from './subscriber.js';
import type { ProbePath, ProbeSample, ProbeSummary } from './stats/probes.js';
import { filterCandidates, transportConfiguration, type TransportChoice } from './transportChoice.js';
import { readJoinResult, readPublishResult } from './wire.js';

export interface RoomConnectionEvents {
  'participant-joined': { participant: ParticipantInfo };
  'participant-left': { participantId: string; reason: LeaveReason };
  'participant-updated': { participant: ParticipantInfo };
  tracks: { assignment: TrackAssignment };
  'media-stats': { at: number; streams: ServerStreamStats[] };
  impairment: { settings: ImpairmentSettings | null };
  /** The connection broke (socket closed by the server or the network, media failed). Emitted once. */
  lost: { error: CallError };
}

/** How long a refused join waits for the close code that says why. */
const REFUSAL_CLOSE_WAIT_MS = 1_000;
const LEAVE_TIMEOUT_MS = 2_000;
/** Ping interval when the server does not say its heartbeat. */
const DEFAULT_PING_MS = 10_000;
/** A probe's signaling ping is given up after this (it has long counted as lost by then). */
const PROBE_PING_TIMEOUT_MS = 5_000;

export class RoomConnection extends Emitter<RoomConnectionEvents> {
  private readonly signaling: SignalingClient;
  private result: JoinResult | undefined;
  private publisher: Publisher | undefined;
  private subscriber: Subscriber | undefined;
  /** Offers that arrived before the join response; answered once it is in. */
  private earlyOffers: { sdp: string; tracks: TrackMapping[] }[] = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly probe: LatencyProbe;
  /** Set once `leave` is sent: the server's close that follows is expected, not a loss. */
  private leaving = false;
  private closed = false;

  constructor(
    url: string,
    private readonly transport: TransportChoice = 'auto',
  ) {
    super();
    this.signaling = new SignalingClient(url);
    this.probe = new LatencyProbe(() => this.signaling.request({ type: 'ping' }, PROBE_PING_TIMEOUT_MS));
    this.signaling.on('participant-joined', (e) => this.emit('participant-joined', e));
    this.signaling.on('participant-left', (e) => this.emit('participant-left', e));
    this.signaling.on('participant-updated', (e) => this.emit('participant-updated', e));
    this.signaling.on('offer', ({ sdp, tracks }) => this.onOffer(sdp, tracks));
    this.signaling.on('media-stats', (e) => this.emit('media-stats', e));
    this.signaling.on('impairment', (e) => this.emit('impairment', e));
    this.signaling.on('close', ({ code, reason, local }) => {
      if (!local && !this.leaving) this.lose(errorForClose(code, reason, true));
    });
  }

  /** Opens the socket and joins; rejects with a CallError that says why the server refused. */
  async join(token: string, room: string): Promise<JoinResult> {
    const closedWith = new Promise<{ code: number; reason: string }>((resolve) => this.signaling.on('close', resolve));
    await this.signaling.open();
    let raw: unknown;
    try {
      raw = await this.signaling.request({ type: 'join', token, room });
    } catch (err) {
      // The server answers a refusal first and closes with the code that says why right after.
      if (err instanceof CallError && err.code === 'request-failed') {
        const close = await Promise.race([closedWith, delay(REFUSAL_CLOSE_WAIT_MS)]);
        if (close) throw errorForClose(close.code, close.reason, true);
      }
      throw err;
    }
    const result = readJoinResult(raw);
    if (!result) throw new CallError('protocol', undefined, { cause: 'malformed join result' });
    if (this.closed) throw new CallError('connection-lost');
    this.result = result;
    this.startPinging(result.heartbeatMs || DEFAULT_PING_MS);
    this.probe.start();
    const early = this.earlyOffers;
    this.earlyOffers = [];
    for (const offer of early) this.onOffer(offer.sdp, offer.tracks);
    return result;
  }

  /** Publishes the tracks on a new publisher connection and applies the SFU's answer. */
  async publish(stream: MediaStream, tracks: MediaStreamTrack[]): Promise<void> {
    const result = this.requireJoined();
    this.publisher?.close();
    const publisher = new Publisher(
      transportConfiguration(result.iceServers, this.transport),
      () => this.lose(new CallError('connection-lost', 'The media connection failed.')),
      (sdp) => filterCandidates(sdp, this.transport),
    );
    this.publisher = publisher;
    this.probe.attachChannel('reliable', publisher.probeChannels.reliable);
    this.probe.attachChannel('unreliable', publisher.probeChannels.unreliable);
    await publisher.publish(stream, tracks, async (sdp) => {
      const answer = readPublishResult(await this.signaling.request({ type: 'publish', sdp }));
      if (!answer) throw new CallError('protocol', undefined, { cause: 'malformed publish result' });
      return answer.sdp;
    });
  }

  async setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    this.requireJoined();
    await this.signaling.request({ type: 'mute', kind, muted });
  }

  /** Says goodbye to the room (briefly waiting for the answer), then closes. */
  async leave(): Promise<void> {
    if (!this.closed && this.result) {
      this.leaving = true;
      await this.signaling.request({ type: 'leave' }, LEAVE_TIMEOUT_MS).catch(() => undefined);
    }
    this.close();
  }

  async stats(): Promise<Map<string, ReceivedStats>> {
    return this.subscriber ? this.subscriber.stats() : new Map();
  }

  async publisherStats(): Promise<PublishedStats | undefined> {
    return this.publisher?.stats();
  }

  /** Both peer connections' full stats reports, for the quality figures. */
  async qualityStats(): Promise<CallStatsSnapshot> {
    const [publisher, subscriber] = await Promise.all([this.publisher?.statsEntries(), this.subscriber?.statsEntries()]);
    return { publisher, subscriber: subscriber?.entries, owners: subscriber?.owners ?? { byMid: new Map() } };
  }

  /** The latency probe's figures per path over the last minute. */
  probeSummary(): ProbeSummary {
    return this.probe.summary();
  }

  /** The latency probe's samples of the last minute, for the chart. */
  probeSamples(): { now: number; samples: Record<ProbePath, ProbeSample[]> } {
    return this.probe.samples();
  }

  /** Admin only: impairs what the SFU forwards in this room; null turns it off. */
  async setImpairment(settings: ImpairmentSettings | null): Promise<void> {
    this.requireJoined();
    await this.signaling.request(
      settings ? { type: 'set-impairment', ...settings } : { type: 'set-impairment', off: true, lossPercent: 0, delayMs: 0, jitterMs: 0, kind: 'all' },
    );
  }

  /** Closes the socket and both peer connections; no event is emitted afterwards. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    this.probe.close();
    this.signaling.close(1000, 'client closed');
    this.publisher?.close();
    this.subscriber?.close();
    this.removeAllListeners();
  }

  private requireJoined(): JoinResult {
    if (this.closed) throw new CallError('connection-lost');
    if (!this.result) throw new Error('not joined yet');
    return this.result;
  }

  private onOffer(sdp: string, tracks: TrackMapping[]): void {
    if (this.closed) return;
    if (!this.result) {
      this.earlyOffers.push({ sdp, tracks });
      return;
    }
    this.subscriber ??= new Subscriber(
      transportConfiguration(this.result.iceServers, this.transport),
      async (answer) => {
        await this.signaling.request({ type: 'answer', sdp: answer });
      },
      {
        tracks: (assignment) => this.emit('tracks', { assignment }),
        failed: (reason) => this.lose(new CallError('connection-lost', 'The media connection failed.', { cause: reason })),
      },
      (sdp) => filterCandidates(sdp, this.transport),
    );
    this.subscriber.handleOffer(sdp, tracks);
  }

  /** Application pings: a server that stops answering is noticed here, not after a TCP timeout. */
  private startPinging(intervalMs: number): void {
    this.pingTimer = setInterval(() => {
      this.signaling.request({ type: 'ping' }).catch((err: unknown) => {
        if (err instanceof CallError && err.code === 'timeout') this.lose(err);
      });
    }, intervalMs);
  }

  private lose(error: CallError): void {
    if (this.closed) return;
    this.emit('lost', { error });
    // The socket may still be open (failed media, silent server): end it, and everything else.
    this.signaling.close(LOCAL_CLOSE_CODE, 'connection lost');
    this.close();
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
