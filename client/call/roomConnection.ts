// One connection to a room: the signaling socket with its join, plus the publisher and
// subscriber peer connections. When the socket vanishes (1006, or a server that stops
// answering pings) the session may still be waiting on the server: the connection is
// `interrupted`, keeps its peer connections, and `resume` joins on a new socket with the
// resume token (signaling/PROTOCOL.md, Resume). Any other loss throws the whole thing
// away. The transport choice shapes both peer connections, and the latency probe runs
// while the connection is joined.
import type { PictureSize } from '../../signaling/layers.js';
import type { ChatMessage, ImpairmentSettings, JoinResult, LeaveReason, MediaKind, ParticipantInfo, ServerStreamStats, TrackMapping, VideoSizeResult } from '../../signaling/protocol.js';
import { Emitter } from './emitter.js';
import { CallError, errorForClose } from './errors.js';
import { LatencyProbe } from './latencyProbe.js';
import { Publisher, type PublishExchange, type PublishedStats } from './publisher.js';
import type { CallStatsSnapshot } from './qualityMonitor.js';
import { SignalingClient, LOCAL_CLOSE_CODE } from './signaling.js';
import { Subscriber, type ReceivedStats, type ScreenAssignment, type TrackAssignment } from './subscriber.js';
import type { ProbePath, ProbeSample, ProbeSummary } from './stats/probes.js';
import { filterCandidates, transportConfiguration, type TransportChoice } from './transportChoice.js';
import { isRecord, readJoinResult, readPublishResult } from './wire.js';

export interface RoomConnectionEvents {
  'participant-joined': { participant: ParticipantInfo };
  'participant-left': { participantId: string; reason: LeaveReason };
  'participant-updated': { participant: ParticipantInfo };
  tracks: { assignment: TrackAssignment; screens: ScreenAssignment };
  'media-stats': { at: number; streams: ServerStreamStats[] };
  impairment: { settings: ImpairmentSettings | null };
  /** A chat message reached the room (this page's own included). */
  chat: { message: ChatMessage };
  /** The socket vanished but the session can be resumed (`resume`); media keeps flowing meanwhile. */
  interrupted: { error: CallError };
  /** The connection broke (socket closed by the server or the network, media failed). Emitted once. */
  lost: { error: CallError };
}

/** How long a refused join waits for the close code that says why. */
const REFUSAL_CLOSE_WAIT_MS = 1_000;
const LEAVE_TIMEOUT_MS = 2_000;
/** Ping interval when the server does not say its heartbeat. */
const DEFAULT_PING_MS = 10_000;
/** The WebSocket close code for a connection that ended without a close frame (the network dropped it). */
const ABNORMAL_CLOSE = 1006;
/** A probe's signaling ping is given up after this (it has long counted as lost by then). */
const PROBE_PING_TIMEOUT_MS = 5_000;

export class RoomConnection extends Emitter<RoomConnectionEvents> {
  /** The current socket; a resume replaces it, and events from earlier ones are ignored. */
  private signaling: SignalingClient;
  private result: JoinResult | undefined;
  private publisher: Publisher | undefined;
  /** The camera's capture size, as the latest publish declared it. */
  private cameraSize: PictureSize | undefined;
  private subscriber: Subscriber | undefined;
  /** Offers that arrived before the join response; answered once it is in. */
  private earlyOffers: { sdp: string; tracks: TrackMapping[] }[] = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly probe: LatencyProbe;
  /** Set once `leave` is sent: the server's close that follows is expected, not a loss. */
  private leaving = false;
  private closed = false;
  /** Between an interruption and a successful resume: the socket is gone, the media is not. */
  private suspended = false;
  /** A resume's join is in flight: offers wait for its response. */
  private resuming = false;

  constructor(
    private readonly url: string,
    private readonly transport: TransportChoice = 'auto',
  ) {
    super();
    this.signaling = this.attach(new SignalingClient(url));
    this.probe = new LatencyProbe(() => this.signaling.request({ type: 'ping' }, PROBE_PING_TIMEOUT_MS));
  }

  /** True while the socket is gone but the session may still be resumed. */
  get interrupted(): boolean {
    return this.suspended && !this.closed;
  }

  /** Opens the socket and joins; rejects with a CallError that says why the server refused. */
  async join(token: string, room: string): Promise<JoinResult> {
    const result = await this.joinOn(this.signaling, { type: 'join', token, room });
    this.result = result;
    this.startPinging(result.heartbeatMs || DEFAULT_PING_MS);
    this.probe.start();
    this.flushEarlyOffers();
    return result;
  }

  /**
   * After `interrupted`: joins on a new socket with the resume token. `resumed: true` in the
   * result means the peer connections carry on; `false` means the server no longer had the
   * session, so the media connections are dropped and the caller publishes anew. Rejects
   * (and stays interrupted) when the new socket cannot join; try again later.
   */
  async resume(token: string, room: string): Promise<JoinResult> {
    const previous = this.result;
    if (this.closed || !this.suspended || !previous) throw new CallError('connection-lost');
    const signaling = this.attach(new SignalingClient(this.url));
    this.signaling = signaling;
    this.resuming = true;
    let result: JoinResult;
    try {
      result = await this.joinOn(signaling, { type: 'join', token, room, resume: previous.resumeToken });
    } catch (err) {
      signaling.close(LOCAL_CLOSE_CODE, 'resume failed');
      throw err;
    } finally {
      this.resuming = false;
    }
    this.suspended = false;
    if (!result.resumed) {
      // The old session ended on the server, and its media connections with it.
      this.publisher?.close();
      this.publisher = undefined;
      this.subscriber?.close();
      this.subscriber = undefined;
      this.emit('tracks', { assignment: new Map(), screens: new Map() });
    }
    this.result = result;
    this.startPinging(result.heartbeatMs || DEFAULT_PING_MS);
    this.flushEarlyOffers();
    return result;
  }

  /** Wires a socket's events to this connection, as long as it is the current one. */
  private attach(signaling: SignalingClient): SignalingClient {
    const current = (): boolean => this.signaling === signaling && !this.closed;
    signaling.on('participant-joined', (e) => current() && this.emit('participant-joined', e));
    signaling.on('participant-left', (e) => current() && this.emit('participant-left', e));
    signaling.on('participant-updated', (e) => current() && this.emit('participant-updated', e));
    signaling.on('offer', ({ sdp, tracks }) => current() && this.onOffer(sdp, tracks));
    signaling.on('media-stats', (e) => current() && this.emit('media-stats', e));
    signaling.on('impairment', (e) => current() && this.emit('impairment', e));
    signaling.on('chat', (e) => current() && this.emit('chat', e));
    signaling.on('close', ({ code, reason, local }) => {
      if (current() && !local && !this.leaving) this.interrupt(errorForClose(code, reason, true));
    });
    return signaling;
  }

  private async joinOn(signaling: SignalingClient, join: { type: 'join'; token: string; room: string; resume?: string }): Promise<JoinResult> {
    const closedWith = new Promise<{ code: number; reason: string }>((resolve) => signaling.on('close', resolve));
    await signaling.open();
    let raw: unknown;
    try {
      raw = await signaling.request(join);
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
    return result;
  }

  private flushEarlyOffers(): void {
    const early = this.earlyOffers;
    this.earlyOffers = [];
    for (const offer of early) this.onOffer(offer.sdp, offer.tracks);
  }

  /** Publishes the tracks on a new publisher connection and applies the SFU's answer. */
  async publish(stream: MediaStream, tracks: MediaStreamTrack[]): Promise<void> {
    const result = this.requireJoined();
    this.publisher?.close();
    const publisher = this.newPublisher(result);
    // The camera's size tells the SFU its simulcast layers' sizes (for `video-size`).
    const settings = tracks.find((t) => t.kind === 'video')?.getSettings();
    this.cameraSize = settings?.width && settings.height ? { width: Math.round(settings.width), height: Math.round(settings.height) } : undefined;
    await publisher.publish(stream, tracks, { simulcast: result.media.simulcast }, this.publishExchange());
  }

  /**
   * Sends another camera or microphone in place of the published one, without renegotiating.
   * False when nothing of its kind is being published yet: the next publish takes the page's
   * tracks as they are then.
   */
  async replaceTrack(track: MediaStreamTrack): Promise<boolean> {
    return (await this.publisher?.replaceTrack(track)) ?? false;
  }

  /**
   * Starts sharing `track` as this participant's screen, or stops (null), on the publisher
   * connection (made now if the page sends nothing else). The SFU is told which m-line is
   * the screen; a stopped share leaves it inactive, and sharing again reuses it.
   */
  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    const result = this.requireJoined();
    if (!track && !this.publisher) return;
    const publisher = this.publisher ?? this.newPublisher(result);
    await publisher.setScreen(track, this.publishExchange());
  }

  /** Sends an offer of the publisher connection as a `publish`, with the camera's size and the screen's m-line. */
  private publishExchange(): PublishExchange {
    return async (sdp, screenMid) => {
      const video = this.cameraSize;
      const answer = readPublishResult(await this.signaling.request({ type: 'publish', sdp, ...(video ? { video } : {}), ...(screenMid ? { screen: screenMid } : {}) }));
      if (!answer) throw new CallError('protocol', undefined, { cause: 'malformed publish result' });
      return answer.sdp;
    };
  }

  private newPublisher(result: JoinResult): Publisher {
    const publisher = new Publisher(
      transportConfiguration(result.iceServers, this.transport),
      () => this.lose(new CallError('connection-lost', 'The media connection failed.')),
      (sdp) => filterCandidates(sdp, this.transport),
    );
    this.publisher = publisher;
    this.probe.attachChannel('reliable', publisher.probeChannels.reliable);
    this.probe.attachChannel('unreliable', publisher.probeChannels.unreliable);
    return publisher;
  }

  async setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    this.requireJoined();
    await this.signaling.request({ type: 'mute', kind, muted });
  }

  /** The tile showing `participantId`'s video is drawn at `tile` device pixels (`video-size`). */
  async videoSize(participantId: string, tile: PictureSize): Promise<VideoSizeResult> {
    this.requireJoined();
    const raw = await this.signaling.request({ type: 'video-size', participantId, width: tile.width, height: tile.height });
    const layers = isRecord(raw) && Array.isArray(raw.layers) ? raw.layers.filter((l): l is PictureSize => isRecord(l) && typeof l.width === 'number' && typeof l.height === 'number') : [];
    const spatialLayer = isRecord(raw) && typeof raw.spatialLayer === 'number' ? raw.spatialLayer : null;
    return { layers, spatialLayer };
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
    return { publisher, subscriber: subscriber?.entries, owners: subscriber?.owners ?? { byMid: new Map() }, screenMid: this.publisher?.screenMid };
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

  /** Changes this participant's display name; resolves with the name as the server keeps it. */
  async setName(name: string): Promise<string> {
    this.requireJoined();
    const result = await this.signaling.request({ type: 'set-name', name });
    return isRecord(result) && typeof result.name === 'string' ? result.name : name;
  }

  /** Sends a chat message to the room; it comes back as a `chat` event like everyone else's. */
  async sendChat(text: string): Promise<void> {
    this.requireJoined();
    await this.signaling.request({ type: 'chat', text });
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
    if (!this.result || this.resuming) {
      this.earlyOffers.push({ sdp, tracks });
      return;
    }
    this.subscriber ??= new Subscriber(
      transportConfiguration(this.result.iceServers, this.transport),
      async (answer) => {
        try {
          await this.signaling.request({ type: 'answer', sdp: answer });
        } catch (err) {
          // The socket vanished mid-negotiation. The server keeps the offer outstanding and
          // sends it again to the resumed session, so this is no media failure; and if the
          // session cannot be resumed, this subscriber is replaced anyway.
          if (this.suspended || (err instanceof CallError && err.code === 'connection-lost' && err.details.closeCode === ABNORMAL_CLOSE)) return;
          throw err;
        }
      },
      {
        tracks: (assignment, screens) => this.emit('tracks', { assignment, screens }),
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
        if (err instanceof CallError && err.code === 'timeout') this.interrupt(err);
      });
    }, intervalMs);
  }

  /**
   * The socket is gone or silent. If the server may still hold the session (no close frame
   * reached it), keep the media and let the caller resume; otherwise it is lost.
   */
  private interrupt(error: CallError): void {
    if (this.closed || this.suspended) return;
    const vanished = error.code === 'timeout' || error.details.closeCode === ABNORMAL_CLOSE;
    if (!vanished || !this.result) return this.lose(error);
    this.suspended = true;
    clearInterval(this.pingTimer);
    this.signaling.close(LOCAL_CLOSE_CODE, 'connection interrupted');
    this.emit('interrupted', { error });
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
