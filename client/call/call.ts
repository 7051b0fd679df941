// The call: the one object the page talks to. It joins a room, keeps the list of other
// participants and one MediaStream per participant, mutes, leaves, reconnects when the
// connection is lost, and measures the call's quality. Peer connections and devices stay
// behind it.
import { CloseCode, type ChatMessage, type ImpairmentSettings, type JoinResult, type LeaveReason, type MediaKind, type ParticipantInfo, type ServerStreamStats } from '../../signaling/protocol.js';
import { Emitter, type Listener } from './emitter.js';
import { ChatLog, type ChatLogChange } from './chatLog.js';
import { CallError, toCallError } from './errors.js';
import { audioContext, TrackLevel } from './audioLevel.js';
import { LocalMedia, type MediaGetter, type PreferredDevices } from './localMedia.js';
import { SpeakerDetector } from './speakers.js';
import { emptyPublishedStats, type PublishedStats } from './publisher.js';
import { DEFAULT_QUALITY_INTERVALS, QualityMonitor, type QualityIntervals } from './qualityMonitor.js';
import { ReconnectPolicy } from './reconnect.js';
import { RoomConnection } from './roomConnection.js';
import { signalingUrl } from './signaling.js';
import { TileSizeReporter } from './tileSizes.js';
import type { PictureSize } from '../../signaling/layers.js';
import type { QualitySample } from './stats/history.js';
import type { ProbePath, ProbeSample, ProbeSummary } from './stats/probes.js';
import type { QualityReport, VideoOff } from './stats/report.js';
import type { ReceivedStats, ScreenAssignment, TrackAssignment, VideoCounters } from './subscriber.js';
import { fetchToken, type AccessToken, type TokenSource } from './token.js';
import { transportChoiceProblem, type TransportChoice } from './transportChoice.js';
import { displayNameProblem, roomNameProblem } from './validation.js';

/** This page's own key in the `speakers` event (remote participants go by their id). */
export const LOCAL_SPEAKER = 'local';
/** How often audio levels are read for who speaks: four times a second, from Web Audio (no getStats). */
const SPEAKER_SAMPLE_MS = 250;

export type CallState = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'failed' | 'left';

export interface RemoteParticipant {
  info: ParticipantInfo;
  /** This participant's received audio and video; the same object for the whole call. */
  stream: MediaStream;
}

export type { ProbePath, ProbeSample, ProbeSummary, PublishedStats, QualityReport, QualitySample, TransportChoice };

/** The server's latest measurements of this participant's streams (`media-stats`). */
export interface ServerStats {
  /** Server time of the measurement, ms since the epoch. */
  at: number;
  streams: ServerStreamStats[];
}

export type Grants = JoinResult['grants'];

export interface ParticipantStats {
  participantId: string;
  framesDecoded: number;
  audioBytesReceived: number;
  video?: VideoCounters;
}

export interface LocalMediaState {
  /** Undefined until devices were asked for (and when publishing is not allowed). */
  stream: MediaStream | undefined;
  available: Record<MediaKind, boolean>;
  muted: Record<MediaKind, boolean>;
}

export interface CallEvents {
  /** `error` is set for `failed` (why) and `reconnecting` (what was lost). */
  'state-changed': { state: CallState; previous: CallState; error: CallError | undefined };
  /** `initial` for those already in the room when this page joined (or rejoined). */
  'participant-joined': { participant: ParticipantInfo; stream: MediaStream; initial: boolean };
  'participant-updated': { participant: ParticipantInfo };
  'participant-left': { participant: ParticipantInfo; reason: LeaveReason };
  /** Tracks were added to or removed from a participant's stream. */
  'remote-media-changed': { participantId: string; stream: MediaStream };
  'local-media-changed': LocalMediaState;
  /** Something the person should know that does not end the call. */
  notice: { message: string };
  /** A reconnect attempt is scheduled after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; error: CallError };
  /** A new round of call-quality figures: the uplink and each remote participant. */
  quality: QualityReport;
  /** The server sent its own measurements of this participant's streams. */
  'server-stats': ServerStats;
  /** The room's controlled impairment changed (null: off). */
  impairment: { settings: ImpairmentSettings | null };
  /**
   * A chat message this page had not seen: `mine` when this page sent it, `initial` when it
   * came with the room's history on this call's first join (what a rejoin brings was
   * missed while away, and is not initial). `change` says where it went in chatMessages().
   */
  chat: { message: ChatMessage; mine: boolean; initial: boolean; change: ChatLogChange };
  /** This page's display name changed (setName). */
  'name-changed': { name: string };
  /** This page started (a stream) or stopped (undefined) sharing its screen. */
  'local-screen-changed': { stream: MediaStream | undefined };
  /** A remote participant's screen share appeared (a stream) or went away (undefined). */
  'screen-changed': { participantId: string; stream: MediaStream | undefined };
  /**
   * Who speaks changed: participant ids (LOCAL_SPEAKER for this page), and the active
   * speaker. Muted microphones never count. Only while someone else is in the room.
   */
  speakers: { speaking: string[]; active: string | undefined };
}
export type CallEventName = keyof CallEvents;

export interface CallOptions {
  tokenSource?: TokenSource;
  signalingUrl?: string;
  reconnectPolicy?: ReconnectPolicy;
  getUserMedia?: MediaGetter;
  /** How often quality is measured; by default every 2 s, every 1 s with `setDetailedQuality(true)`. */
  qualityIntervals?: Partial<QualityIntervals>;
  /** Which network path media may take; auto by default. */
  transport?: TransportChoice;
  /**
   * The camera and microphone already open for the pre-join preview: the call takes them
   * over (and stops them when it ends) instead of asking for devices again.
   */
  media?: Promise<LocalMedia>;
  /** Devices to ask for when the call opens its own (remembered choices). */
  devices?: PreferredDevices;
}

export class Call {
  private readonly events = new Emitter<CallEvents>();
  private readonly tokenSource: TokenSource;
  private readonly url: string;
  private readonly policy: ReconnectPolicy;
  private readonly getUserMedia: MediaGetter | undefined;
  private readonly providedMedia: Promise<LocalMedia> | undefined;
  private readonly preferredDevices: PreferredDevices;
  /** Device switches go one at a time, in the order asked. */
  private deviceSwitch: Promise<void> = Promise.resolve();
  /** Which network path media may take. */
  readonly transport: TransportChoice;

  private currentState: CallState = 'idle';
  private lastError: CallError | undefined;
  /** Set as soon as leave or failure starts: every pending step checks it and stops. */
  private ended = false;
  private roomName = '';
  private displayName = '';
  private token: AccessToken | undefined;
  private connection: RoomConnection | undefined;
  private joined: JoinResult | undefined;
  private local: LocalMedia | undefined;
  private localPending: Promise<LocalMedia> | undefined;
  private readonly remotes = new Map<string, ParticipantInfo>();
  private readonly streams = new Map<string, MediaStream>();
  private readonly monitor: QualityMonitor;
  private lastServerStats: ServerStats | undefined;
  private roomImpairment: ImpairmentSettings | null = null;
  private readonly chatLog = new ChatLog();
  /** This page's screen share, while it lasts. */
  private screenShare: MediaStream | undefined;
  /** Screen tracks received, and the shares shown (a track whose sender says it shares). */
  private screenTracks: ScreenAssignment = new Map();
  private readonly shownScreens = new Map<string, MediaStream>();
  /** After the first join: history that comes with a rejoin holds what was missed, not old news. */
  private chatSeeded = false;
  /** Audio levels per participant (LOCAL_SPEAKER for this page), read for who speaks. */
  private readonly trackLevels = new Map<string, TrackLevel>();
  private readonly speakerDetector = new SpeakerDetector();
  private speakerTimer: ReturnType<typeof setInterval> | undefined;
  private lastSpeakers = '';
  /** Remote tiles' sizes, told to the SFU for the simulcast layer each calls for. */
  private readonly tileSizes = new TileSizeReporter();

  constructor(options: CallOptions = {}) {
    this.tokenSource = options.tokenSource ?? fetchToken;
    this.url = options.signalingUrl ?? signalingUrl();
    this.policy = options.reconnectPolicy ?? new ReconnectPolicy();
    this.getUserMedia = options.getUserMedia;
    this.providedMedia = options.media;
    this.preferredDevices = options.devices ?? {};
    this.transport = options.transport ?? 'auto';
    this.monitor = new QualityMonitor(
      async () => {
        const snapshot = await this.connection?.qualityStats();
        return snapshot && { ...snapshot, videoOff: this.videoOff() };
      },
      (report) => this.events.emit('quality', report),
      { ...DEFAULT_QUALITY_INTERVALS, ...options.qualityIntervals },
    );
  }

  on<K extends CallEventName>(event: K, listener: Listener<CallEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  off<K extends CallEventName>(event: K, listener: Listener<CallEvents[K]>): void {
    this.events.off(event, listener);
  }

  get state(): CallState {
    return this.currentState;
  }

  /** Why the call failed, once it has. */
  get error(): CallError | undefined {
    return this.lastError;
  }

  get room(): string {
    return this.roomName;
  }

  get name(): string {
    return this.displayName;
  }

  /** This page's participant id in the room; a new one after each reconnect. */
  get participantId(): string | undefined {
    return this.joined?.participantId;
  }

  /** What this page may do in the room; undefined until joined. */
  get grants(): Grants | undefined {
    return this.joined?.grants;
  }

  /** The latest call-quality figures, once measured. */
  get quality(): QualityReport | undefined {
    return this.monitor.latest;
  }

  /** The server's latest measurements of this participant's streams. */
  get serverStats(): ServerStats | undefined {
    return this.lastServerStats;
  }

  /** The room's controlled impairment, as the server last announced it (null: off). */
  get impairment(): ImpairmentSettings | null {
    return this.roomImpairment;
  }

  get localMedia(): LocalMediaState {
    return {
      stream: this.local?.stream,
      available: { audio: this.local?.has('audio') ?? false, video: this.local?.has('video') ?? false },
      muted: this.local?.mutedState() ?? { audio: false, video: false },
    };
  }

  participants(): RemoteParticipant[] {
    return [...this.remotes.values()].map((info) => ({ info, stream: this.streamFor(info.id) }));
  }

  /**
   * Joins `room` as `name`; a Call joins once. Resolves when in the room (media follows);
   * rejects with the CallError that the `failed` state carries too.
   */
  async join(room: string, name: string): Promise<void> {
    if (this.currentState !== 'idle') throw new Error('a Call joins once; make a new Call to join again');
    const trimmed = name.trim();
    const problem = roomNameProblem(room) ?? displayNameProblem(trimmed);
    if (problem) {
      const error = new CallError('invalid-input', problem);
      this.fail(error);
      throw error;
    }
    this.roomName = room;
    this.displayName = trimmed;
    this.setState('joining');
    try {
      this.token = await this.tokenSource(room, trimmed);
      if (this.ended) return;
      await this.connect();
    } catch (err) {
      if (this.ended) return;
      const error = toCallError(err);
      this.fail(error);
      throw error;
    }
  }

  /** Mutes or unmutes this page's microphone or camera and tells the room. */
  async setMuted(kind: MediaKind, muted: boolean): Promise<void> {
    if (!this.local?.has(kind) || this.local.isMuted(kind) === muted) return;
    this.local.setMuted(kind, muted);
    this.events.emit('local-media-changed', this.localMedia);
    const conn = this.connection;
    if (conn && this.currentState === 'joined') {
      // After a reconnect the new connection re-sends the mute state, so a lost one does no harm.
      await conn.setMuted(kind, muted).catch((err: unknown) => console.warn('call: mute not sent', err));
    }
  }

  /** The device behind this page's microphone (audio) or camera (video), if it has one. */
  deviceId(kind: MediaKind): string | undefined {
    return this.local?.deviceId(kind);
  }

  /**
   * Switches this page's microphone or camera to `deviceId` during the call: the new track
   * replaces the old one on the connection (no renegotiation, the others keep their tile),
   * keeps the mute state, and the old device is released. Rejects (and changes nothing)
   * when the device cannot be opened or the page has no track of that kind to replace.
   */
  useDevice(kind: MediaKind, deviceId: string): Promise<void> {
    const run = this.deviceSwitch.then(async () => {
      const local = this.local;
      if (!local?.has(kind)) throw new CallError('invalid-input', kind === 'audio' ? 'This call has no microphone to switch.' : 'This call has no camera to switch.');
      if (local.deviceId(kind) === deviceId) return;
      const track = await LocalMedia.open(kind, deviceId, this.getUserMedia);
      if (this.ended || this.local !== local) {
        track.stop();
        return;
      }
      try {
        // Not published yet (joining, reconnecting): the coming publish sends the stream as it is.
        await this.connection?.replaceTrack(track);
      } catch (err) {
        track.stop();
        throw err;
      }
      local.replace(track);
      this.events.emit('local-media-changed', this.localMedia);
    });
    this.deviceSwitch = run.catch(() => undefined);
    return run;
  }

  /** Leaves the room, closes the connections and releases the devices. */
  async leave(): Promise<void> {
    if (this.ended || this.currentState === 'idle') return;
    this.ended = true;
    const conn = this.connection;
    this.connection = undefined;
    await conn?.leave();
    this.release();
    this.setState('left');
  }

  /** What has been received so far from each participant in the room, from the subscriber connection. */
  async stats(): Promise<ParticipantStats[]> {
    const received = (await this.connection?.stats()) ?? new Map<string, ReceivedStats>();
    return [...this.remotes.keys()].map((participantId) => {
      const r = received.get(participantId);
      const out: ParticipantStats = { participantId, framesDecoded: r?.framesDecoded ?? 0, audioBytesReceived: r?.audioBytesReceived ?? 0 };
      if (r?.video) out.video = r.video;
      return out;
    });
  }

  /** What this page has sent, from the publisher connection. */
  async publisherStats(): Promise<PublishedStats> {
    return (await this.connection?.publisherStats()) ?? emptyPublishedStats();
  }

  /** The last minute of quality samples: series `uplink` and one per remote participant id. */
  qualityHistory(): Map<string, QualitySample[]> {
    return this.monitor.samples();
  }

  /** Message latency per path (signaling socket, reliable and unreliable data channel) over the last minute. */
  probes(): ProbeSummary | undefined {
    return this.connection?.probeSummary();
  }

  /** The latency probes of the last minute, per path, for charts; `now` is on the samples' clock. */
  probeSamples(): { now: number; samples: Record<ProbePath, ProbeSample[]> } | undefined {
    return this.connection?.probeSamples();
  }

  /** Measures quality more often while someone looks at the full figures. */
  setDetailedQuality(detailed: boolean): void {
    this.monitor.setDetailed(detailed);
  }

  /**
   * Admin only: impairs what the SFU forwards in this room (null turns it off). Rejects
   * with a `request-failed` CallError whose serverCode says why (FORBIDDEN, ...).
   */
  async setImpairment(settings: ImpairmentSettings | null): Promise<void> {
    const conn = this.connection;
    if (!conn || this.currentState !== 'joined') throw new CallError('connection-lost');
    await conn.setImpairment(settings);
  }

  /** The room's chat as far as this page has seen it, oldest first. */
  chatMessages(): readonly ChatMessage[] {
    return this.chatLog.list();
  }

  /**
   * Sends a chat message; it shows up as a `chat` event once the room has it. Rejects with
   * a `request-failed` CallError whose serverCode says why (RATE_LIMITED, INVALID_MESSAGE).
   */
  async sendChat(text: string): Promise<void> {
    const conn = this.connection;
    if (!conn || this.currentState !== 'joined') throw new CallError('connection-lost');
    await conn.sendChat(text);
  }

  /**
   * Changes this participant's name for everyone in the room, and for the tokens of later
   * rejoins. Rejects with an `invalid-input` CallError for a name the server would refuse,
   * or a `request-failed` one whose serverCode says why (RATE_LIMITED).
   */
  async setName(name: string): Promise<void> {
    const trimmed = name.trim();
    const problem = displayNameProblem(trimmed);
    if (problem) throw new CallError('invalid-input', problem);
    const conn = this.connection;
    if (!conn || this.currentState !== 'joined') throw new CallError('connection-lost');
    this.displayName = await conn.setName(trimmed);
    this.events.emit('name-changed', { name: this.displayName });
  }

  /** True while this page shares its screen. */
  get sharingScreen(): boolean {
    return this.screenShare !== undefined;
  }

  /**
   * Asks the browser for a screen, window or tab (its own picker) and shares it with the
   * room. Rejects when the person cancels the picker (NotAllowedError), or with a
   * `request-failed` CallError when the server refuses (FORBIDDEN for a viewer).
   */
  async shareScreen(): Promise<void> {
    const conn = this.connection;
    if (!conn || this.currentState !== 'joined') throw new CallError('connection-lost');
    if (this.screenShare) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track || this.ended || this.connection !== conn) {
      for (const t of display.getTracks()) t.stop();
      throw new CallError('connection-lost');
    }
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener('ended', () => void this.stopScreen());
    this.screenShare = display;
    this.events.emit('local-screen-changed', { stream: display });
    try {
      await conn.setScreen(track);
    } catch (err) {
      await this.stopScreen();
      throw err;
    }
  }

  /** Stops sharing the screen (also when the browser's own control ended it). */
  async stopScreen(): Promise<void> {
    const share = this.screenShare;
    if (!share) return;
    this.screenShare = undefined;
    for (const t of share.getTracks()) t.stop();
    this.events.emit('local-screen-changed', { stream: undefined });
    await this.connection?.setScreen(null).catch((err: unknown) => console.warn('call: could not stop sharing on the server', err));
  }

  /** Shows a participant's screen share while a track arrives and the participant says it shares. */
  private refreshScreens(): void {
    const ids = new Set([...this.screenTracks.keys(), ...this.shownScreens.keys()]);
    for (const id of ids) {
      const track = this.remotes.get(id)?.screen ? this.screenTracks.get(id) : undefined;
      const shown = this.shownScreens.get(id);
      if (track && shown?.getVideoTracks()[0] === track) continue;
      if (!track && !shown) continue;
      if (track) {
        const stream = new MediaStream([track]);
        this.shownScreens.set(id, stream);
        this.events.emit('screen-changed', { participantId: id, stream });
      } else {
        this.shownScreens.delete(id);
        this.events.emit('screen-changed', { participantId: id, stream: undefined });
      }
    }
  }

  private addChat(message: ChatMessage, initial: boolean): void {
    const change = this.chatLog.add(message);
    if (!change) return;
    this.events.emit('chat', { message, mine: message.participantId === this.joined?.participantId, initial, change });
  }

  // ---- connecting ----

  /** Opens a new connection, joins, brings the participant list up to date and publishes. */
  private async connect(): Promise<void> {
    const token = this.token;
    if (!token) throw new Error('no token');
    const conn = new RoomConnection(this.url, this.transport);
    this.connection = conn;
    // Those known from an earlier connection and not confirmed by this one have gone meanwhile.
    const unconfirmed = new Set(this.remotes.keys());
    conn.on('participant-joined', ({ participant }) => {
      unconfirmed.delete(participant.id);
      this.upsertParticipant(participant, false);
    });
    conn.on('participant-updated', ({ participant }) => this.upsertParticipant(participant, false));
    conn.on('participant-left', ({ participantId, reason }) => this.removeParticipant(participantId, reason));
    conn.on('tracks', ({ assignment, screens }) => {
      this.applyTracks(assignment);
      this.screenTracks = screens;
      this.refreshScreens();
    });
    conn.on('media-stats', (stats) => {
      this.lastServerStats = stats;
      this.monitor.setServerStreams(stats.streams);
      this.events.emit('server-stats', stats);
    });
    conn.on('impairment', ({ settings }) => {
      this.roomImpairment = settings;
      this.events.emit('impairment', { settings });
    });
    conn.on('chat', ({ message }) => this.addChat(message, false));
    conn.on('interrupted', ({ error }) => this.onInterrupted(conn, error));
    conn.on('lost', ({ error }) => this.onLost(conn, error));
    // The new connection's counters have nothing to do with the old one's.
    this.monitor.reset();
    this.lastServerStats = undefined;

    let result: JoinResult;
    try {
      result = await conn.join(token.token, this.roomName);
    } catch (err) {
      conn.close();
      if (this.connection === conn) this.connection = undefined;
      throw err;
    }
    if (this.connection !== conn || this.ended) {
      conn.close();
      throw new CallError('connection-lost');
    }
    this.joinedOn(conn, result, unconfirmed);
  }

  /**
   * Continues an interrupted connection on a new socket. Resumed, the peer connections
   * and the videos on screen carry on; if the server no longer had the session, this is a
   * new join on the same connection and publishing starts again.
   */
  private async resume(conn: RoomConnection): Promise<void> {
    const token = this.token;
    if (!token) throw new Error('no token');
    const result = await conn.resume(token.token, this.roomName);
    if (this.connection !== conn || this.ended) throw new CallError('connection-lost');
    if (!result.resumed) {
      this.monitor.reset();
      this.lastServerStats = undefined;
    }
    this.joinedOn(conn, result, new Set(this.remotes.keys()));
  }

  /** In the room on `conn`: brings the participant list up to date and publishes unless resumed. */
  private joinedOn(conn: RoomConnection, result: JoinResult, unconfirmed: Set<string>): void {
    this.joined = result;
    // A new session on the server knows no tile sizes yet: all of them again (simulcast only).
    if (!result.resumed) this.tileSizes.connect(result.media.simulcast ? (id, tile) => conn.videoSize(id, tile) : undefined);
    for (const participant of result.participants) {
      unconfirmed.delete(participant.id);
      this.upsertParticipant(participant, true);
    }
    for (const id of unconfirmed) this.removeParticipant(id, 'disconnected');
    // A new session starts from the token's name: one changed during the call is set again.
    if (result.name !== this.displayName) {
      conn.setName(this.displayName).catch((err: unknown) => console.warn('call: could not set the name again after rejoining', err));
    }
    for (const message of result.chat) this.addChat(message, !this.chatSeeded);
    this.chatSeeded = true;
    this.setState('joined');
    if (result.resumed) return;
    const transportProblem = transportChoiceProblem(result.iceServers, this.transport);
    if (transportProblem) this.notice(transportProblem);
    this.monitor.start();
    this.speakerTimer ??= setInterval(() => this.sampleSpeakers(), SPEAKER_SAMPLE_MS);
    void this.publish(conn, result);
  }

  private async publish(conn: RoomConnection, result: JoinResult): Promise<void> {
    if (!result.grants.publish) {
      this.notice('You joined as a viewer: your access does not allow sending video or audio.');
      return;
    }
    try {
      const local = await this.acquireLocal();
      if (this.connection !== conn || this.ended) return;
      for (const kind of ['audio', 'video'] as const) {
        if (local.isMuted(kind)) await conn.setMuted(kind, true);
      }
      const tracks = local.tracks();
      if (tracks.length > 0) await conn.publish(local.stream, tracks);
      // A new session on the server knows nothing of a share that was running: share it again.
      const screen = this.screenShare?.getVideoTracks()[0];
      if (screen && screen.readyState === 'live' && this.connection === conn) await conn.setScreen(screen);
    } catch (err) {
      if (this.connection !== conn || this.ended) return;
      console.warn('call: publish failed', err);
      this.notice('Your camera and microphone could not be sent to the room.');
    }
  }

  /** Asks for the devices once per call; reconnects reuse the same tracks. */
  private acquireLocal(): Promise<LocalMedia> {
    this.localPending ??= (this.providedMedia ?? LocalMedia.acquire(this.getUserMedia, this.preferredDevices)).then((local) => {
      if (this.ended) {
        local.stop();
        return local;
      }
      this.local = local;
      this.events.emit('local-media-changed', this.localMedia);
      if (local.notice) this.notice(local.notice);
      return local;
    });
    return this.localPending;
  }

  /** The socket vanished; the media goes on while the session is resumed on a new one. */
  private onInterrupted(conn: RoomConnection, error: CallError): void {
    if (conn !== this.connection || this.ended || this.currentState !== 'joined') return;
    // The server usually still holds the session: try at once, then back off as usual.
    void this.reconnect(error, true);
  }

  private onLost(conn: RoomConnection, error: CallError): void {
    if (conn !== this.connection) return;
    this.connection = undefined;
    conn.close();
    this.applyTracks(new Map());
    // While joining or reconnecting, the pending join fails and its caller decides.
    if (this.ended || this.currentState !== 'joined') return;
    if (error.final) this.fail(error);
    // A moved room (its owner node failed) is already placed elsewhere: join again at once.
    else void this.reconnect(error, error.details.closeCode === CloseCode.RoomMoved);
  }

  private async reconnect(cause: CallError, tryAtOnce = false): Promise<void> {
    this.setState('reconnecting', cause);
    let lastError = cause;
    let needsToken = false;
    let tokenIsFresh = false;
    // Attempts that follow a back-off; an attempt "at once" (the first after an
    // interruption, or a fresh token after a refused one) does not count.
    let waits = 0;
    let atOnce = tryAtOnce;
    for (let attempt = 0; ; attempt++) {
      const delayMs = atOnce ? 0 : this.policy.next(waits++);
      atOnce = false;
      if (delayMs === 'give-up') {
        this.fail(new CallError('reconnect-failed', undefined, { cause: lastError }));
        return;
      }
      this.events.emit('reconnecting', { attempt, delayMs, error: lastError });
      await sleep(delayMs);
      if (this.ended) return;
      try {
        if (needsToken) {
          this.token = await this.tokenSource(this.roomName, this.displayName);
          needsToken = false;
          tokenIsFresh = true;
        }
        const interrupted = this.connection?.interrupted ? this.connection : undefined;
        await (interrupted ? this.resume(interrupted) : this.connect());
        return;
      } catch (err) {
        if (this.ended) return;
        lastError = toCallError(err);
        // The same token keeps this person's identity (the server replaces the old session),
        // so it is reused until refused; a restarted server may no longer accept it.
        const refused = lastError.code === 'token-expired' || lastError.code === 'token-invalid';
        if (refused && !tokenIsFresh) {
          // The server is up (it answered): ask for a new token and try with it at once.
          needsToken = true;
          atOnce = true;
          continue;
        }
        if (lastError.final || lastError.code === 'token-refused') {
          this.fail(lastError);
          return;
        }
      }
    }
  }

  /** Whose camera is off (muted, or no video sent), for the quality judgement. */
  private videoOff(): VideoOff {
    const local = this.localMedia;
    const remotes = new Set<string>();
    for (const p of this.remotes.values()) if (p.muted.video || !p.publishing.includes('video')) remotes.add(p.id);
    return { uplink: !local.available.video || local.muted.video, remotes };
  }

  // ---- participants and their media ----

  private upsertParticipant(participant: ParticipantInfo, initial: boolean): void {
    if (participant.id === this.joined?.participantId) return;
    const known = this.remotes.has(participant.id);
    this.remotes.set(participant.id, participant);
    if (known) this.events.emit('participant-updated', { participant });
    else this.events.emit('participant-joined', { participant, stream: this.streamFor(participant.id), initial });
    this.refreshScreens();
  }

  private removeParticipant(participantId: string, reason: LeaveReason): void {
    const participant = this.remotes.get(participantId);
    if (!participant) return;
    this.remotes.delete(participantId);
    this.tileSizes.forget(participantId);
    this.refreshScreens();
    this.events.emit('participant-left', { participant, reason });
  }

  private streamFor(participantId: string): MediaStream {
    let stream = this.streams.get(participantId);
    if (!stream) {
      stream = new MediaStream();
      this.streams.set(participantId, stream);
    }
    return stream;
  }

  /** Makes every participant's stream hold exactly the tracks the subscriber assigns to them. */
  private applyTracks(assignment: TrackAssignment): void {
    const ids = new Set([...this.streams.keys(), ...assignment.keys()]);
    for (const id of ids) {
      const wanted = assignment.get(id) ?? [];
      const stream = this.streamFor(id);
      let changed = false;
      for (const track of stream.getTracks()) {
        if (!wanted.includes(track)) {
          stream.removeTrack(track);
          changed = true;
        }
      }
      for (const track of wanted) {
        if (!stream.getTracks().includes(track)) {
          stream.addTrack(track);
          changed = true;
        }
      }
      if (changed) this.events.emit('remote-media-changed', { participantId: id, stream });
      if (!this.remotes.has(id) && stream.getTracks().length === 0) this.streams.delete(id);
    }
  }

  // ---- lifecycle ----

  private fail(error: CallError): void {
    if (this.ended) return;
    this.ended = true;
    this.lastError = error;
    this.connection?.close();
    this.connection = undefined;
    this.release();
    this.setState('failed', error);
  }

  /** A remote participant's tile is drawn at `size` device pixels (the page's grid says so on every resize). */
  reportTileSize(participantId: string, size: PictureSize): void {
    if (this.remotes.has(participantId)) this.tileSizes.report(participantId, size);
  }

  /** Reads every unmuted participant's audio level and tells who speaks when that changed. */
  private sampleSpeakers(): void {
    const ctx = audioContext();
    if (!ctx) return;
    const tracks = new Map<string, MediaStreamTrack | undefined>();
    if (this.remotes.size > 0) {
      for (const [id, info] of this.remotes) tracks.set(id, info.muted.audio ? undefined : this.streams.get(id)?.getAudioTracks()[0]);
      tracks.set(LOCAL_SPEAKER, this.local && !this.local.isMuted('audio') ? this.local.track('audio') : undefined);
    }
    for (const [id, level] of this.trackLevels) {
      if (tracks.get(id) === level.track) continue;
      level.close();
      this.trackLevels.delete(id);
    }
    const levels = new Map<string, number>();
    for (const [id, track] of tracks) {
      if (!track || track.readyState !== 'live') {
        levels.set(id, 0);
        continue;
      }
      let level = this.trackLevels.get(id);
      if (!level) {
        level = new TrackLevel(track, ctx);
        this.trackLevels.set(id, level);
      }
      levels.set(id, level.loudest());
    }
    const { speaking, active } = this.speakerDetector.update(levels, Date.now());
    const key = JSON.stringify([[...speaking].sort(), active]);
    if (key === this.lastSpeakers) return;
    this.lastSpeakers = key;
    this.events.emit('speakers', { speaking: [...speaking], active });
  }

  /** Releases devices and received tracks; the participant list is kept for a last look. */
  private release(): void {
    clearInterval(this.speakerTimer);
    this.speakerTimer = undefined;
    for (const level of this.trackLevels.values()) level.close();
    this.trackLevels.clear();
    this.tileSizes.close();
    this.monitor.stop();
    this.local?.stop();
    // Preview devices handed over but never used (a viewer, a failed join) are released too.
    this.providedMedia?.then((media) => media.stop()).catch(() => undefined);
    this.applyTracks(new Map());
    for (const t of this.screenShare?.getTracks() ?? []) t.stop();
    this.screenShare = undefined;
    this.screenTracks = new Map();
    this.refreshScreens();
  }

  private notice(message: string): void {
    this.events.emit('notice', { message });
  }

  private setState(state: CallState, error?: CallError): void {
    const previous = this.currentState;
    if (previous === state) return;
    this.currentState = state;
    this.events.emit('state-changed', { state, previous, error });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
