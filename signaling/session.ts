// One signaling session per WebSocket: waits for `join` (with a deadline), then routes
// each validated request to the room and the member's media, and answers every request
// exactly once. Misbehaviour costs an error response first and the socket only when it
// keeps up.
import type { TokenIssuer } from './auth.js';
import { bounded, ERROR_TEXT_CHARS, errorText } from './clientValue.js';
import type { Logger } from './log.js';
import {
  CloseCode,
  ErrorCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type IceServer,
  type JoinResult,
  type LeaveReason,
  type MediaCapabilities,
  publishOptions,
  type ServerMessage,
} from './protocol.js';
import { MEDIA_ABUSE_REASON, refusalOf } from './mediaRefusal.js';
import { PublishGuard } from './publishGuard.js';
import type { MemberRef, RoomService } from './roomService.js';
import { GoneError, IMPAIRMENT_DISABLED } from './roomService.js';
import { CodedError, codeOf, protocolErrorOf } from './errors.js';
import { requireGrant, type GrantHolder } from './grants.js';
import { parseClientMessage, type ClientMessage } from './schema.js';
import { DEFAULT_OFFER_LIMITS, type OfferLimits } from './sdpCheck.js';

/** The few things a session needs from its socket. */
export interface SessionSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  rooms: RoomService;
  tokens: TokenIssuer;
  log: Logger;
  /** ICE servers for a joining identity (TURN credentials are issued per identity). */
  iceServers: (identity: string) => IceServer[];
  heartbeatMs: number;
  joinTimeoutMs: number;
  /** Whether admins may set the SFU's controlled impairment (SFU_IMPAIRMENT). */
  impairmentEnabled: boolean;
  /** The media engine's capabilities, told to every joining page. */
  media: MediaCapabilities;
  /** Bounds of a publish offer (MAX_MLINES_PER_OFFER, MAX_TRACKS_PER_PARTICIPANT); the defaults when absent. */
  offerLimits?: OfferLimits;
  /** Observes refused joins, by reason, for metrics. */
  onAuthRefused?: (reason: string) => void;
  /** Observes every handled request, for metrics. */
  onRequest?: (type: string, outcome: 'ok' | ErrorCode, seconds: number) => void;
  /** Observes each failure caught outside a request (a timer, a socket event), for metrics. */
  onInternalError?: () => void;
  /** `video-size` reports a client may sustain per second, and the burst it may send at once (VIDEO_SIZE_RATE_PER_SECOND, VIDEO_SIZE_BURST). */
  videoSizeRate?: { perSecond: number; burst: number };
}

/** Chat messages a client may sustain per second, and the burst: a few lines typed in a row pass, a paste loop does not. */
const CHAT_RATE = { perSecond: 1, burst: 5 };
/** Name changes per socket: a person fixing a typo, not a ticker. */
const NAME_RATE = { perSecond: 1, burst: 3 };

/** Without configuration: a page resizing sixteen tiles at once fits in the burst. */
const VIDEO_SIZE_RATE = { perSecond: 10, burst: 30 };

/** Requests per second a client may sustain, and the burst it may send at once. */
const RATE_PER_SECOND = 50;
const RATE_BURST = 100;
/** Errors within this window after which the socket is closed as misbehaving. */
const MAX_ERRORS = 20;
const ERROR_WINDOW_MS = 10_000;


export class Session {
  private state: 'awaiting-join' | 'joined' | 'closed' = 'awaiting-join';
  private member: (MemberRef & GrantHolder) | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private tokens = RATE_BURST;
  private tokensAt = Date.now();
  private errorTimes: number[] = [];
  private readonly publishGuard: PublishGuard;
  private readonly videoSizeBucket: TokenBucket;
  /** Made on the first chat message: most sockets never send one, and 10,000 held sockets each pay for what they hold. */
  private chatBucket: TokenBucket | undefined;
  /** Made on the first name change, as the chat bucket is. */
  private nameBucket: TokenBucket | undefined;

  constructor(
    private readonly socket: SessionSocket,
    private readonly deps: SessionDeps,
  ) {
    this.publishGuard = new PublishGuard(deps.offerLimits ?? DEFAULT_OFFER_LIMITS);
    this.videoSizeBucket = new TokenBucket(deps.videoSizeRate ?? VIDEO_SIZE_RATE);
    this.joinTimer = setTimeout(
      this.contained('join deadline', () => this.end(CloseCode.AuthTimeout, 'no join within deadline')),
      deps.joinTimeoutMs,
    );
  }

  get participantId(): string | undefined {
    return this.member?.participantId;
  }

  get roomId(): string | undefined {
    return this.member?.room;
  }

  /** Handles one frame from the socket; never throws. */
  handleFrame(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (isBinary) return this.protocolError(undefined, ErrorCode.BadMessage, 'binary frames are not part of the protocol');
    if (data.byteLength > MAX_MESSAGE_BYTES) {
      return this.protocolError(undefined, ErrorCode.TooLarge, `frame exceeds ${MAX_MESSAGE_BYTES} bytes`);
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) return this.protocolError(parsed.id, parsed.code, parsed.message);
    if (!this.takeRateToken()) {
      return this.protocolError(parsed.message.id, ErrorCode.RateLimited, `more than ${RATE_PER_SECOND} requests per second`);
    }
    void this.dispatch(parsed.message);
  }

  /**
   * The socket closed. A clean close (the client said goodbye, or the server ended the
   * session) leaves the room at once; a vanished socket keeps the participant for the
   * resume grace period.
   */
  socketClosed(reason: LeaveReason, clean = true): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.joinTimer);
    const member = this.member;
    this.member = undefined;
    if (!member) return;
    this.deps.log.info(clean ? 'participant left' : 'participant detached', { room: member.room, participant: member.participantId, reason });
    if (clean) void this.leaveRoom(member, reason);
    else this.deps.rooms.detach(member, reason).catch((err: unknown) => this.deps.log.warn('leave failed', { room: member.room, participant: member.participantId, error: errorText(err) }));
  }

  /** Leaves the room for good; from then on this session has no member. Never rejects. */
  private async leaveRoom(member: MemberRef, reason: LeaveReason): Promise<void> {
    this.member = undefined;
    await this.deps.rooms.leave(member, reason).catch((err: unknown) => this.deps.log.warn('leave failed', { room: member.room, participant: member.participantId, error: errorText(err) }));
  }

  /** Ends the session from the server side with a close code. */
  end(code: number, reason: string, leaveReason: LeaveReason = 'disconnected'): void {
    if (this.state === 'closed') return;
    this.socketClosed(leaveReason);
    this.socket.close(code, reason);
  }

  /**
   * Something failed outside any request (a timer, a socket event): it is logged and
   * counted, and this session alone ends, with 1011 so the client reconnects. Never throws.
   */
  internalFailure(what: string, err: unknown): void {
    try {
      this.deps.log.error('signaling callback failed; closing the socket', { callback: what, room: this.roomId, participant: this.participantId, error: errorText(err) });
      this.deps.onInternalError?.();
    } catch {
      // Logging must not stop the socket from closing.
    }
    try {
      this.socketClosed('disconnected');
    } catch {
      // The leave is what failed; the socket still goes.
    }
    try {
      this.socket.close(CloseCode.InternalError, 'internal error');
    } catch {
      // Already closed.
    }
  }

  /** A timer of this session, contained: a throw ends this session only (internalFailure). */
  private contained(what: string, run: () => void): () => void {
    return () => {
      try {
        run();
      } catch (err) {
        this.internalFailure(what, err);
      }
    };
  }

  /** Closes the socket without leaving the room: the participant continues elsewhere. */
  private handOver(code: number, reason: string): void {
    this.member = undefined;
    this.end(code, reason);
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.execute(msg);
      this.send({ type: 'response', id: msg.id, ok: true, result });
      this.deps.onRequest?.(msg.type, 'ok', (performance.now() - started) / 1000);
      if (msg.type === 'leave') this.end(CloseCode.Normal, 'left', 'left');
    } catch (err) {
      // The code the error stands for, wherever it was thrown (here, in the room service,
      // the media engine, or on the room's owner node); none is a bug.
      const known = protocolErrorOf(err);
      const code = known?.code ?? ErrorCode.Internal;
      const message = known?.message ?? 'internal error';
      if (known === undefined) {
        this.deps.log.error('request failed', { type: msg.type, room: this.roomId, participant: this.participantId, error: errorText(err) });
      }
      this.deps.onRequest?.(msg.type, code, (performance.now() - started) / 1000);
      this.protocolError(msg.id, code, message);
    }
  }

  private async execute(msg: ClientMessage): Promise<unknown> {
    if (msg.type === 'ping') return { t: Date.now() };
    if (msg.type === 'join') return this.join(msg.token, msg.room, msg.resume);
    const member = this.requireJoined();
    try {
      switch (msg.type) {
        case 'publish': {
          requireGrant(member, 'publish');
          return { sdp: await this.sdpStep('offer', () => this.publishGuard.run(msg.sdp, () => this.deps.rooms.publish(member, msg.sdp, publishOptions(msg)))) };
        }
        case 'answer':
          await this.sdpStep('answer', () => this.deps.rooms.answer(member, msg.sdp));
          return {};
        case 'mute':
          await this.deps.rooms.mute(member, msg.kind, msg.muted);
          return {};
        case 'leave':
          // Out of the room before the answer, so that a join right after it finds the room
          // as the leave left it (an emptied room's chat cleared, its lease given back).
          await this.leaveRoom(member, 'left');
          return {};
        case 'video-size':
          if (!this.videoSizeBucket.take()) throw new CodedError(ErrorCode.RateLimited, `more than ${this.videoSizeBucket.perSecond} video-size reports per second`);
          return this.deps.rooms.videoSize(member, msg.participantId, { width: msg.width, height: msg.height });
        case 'chat': {
          this.chatBucket ??= new TokenBucket(CHAT_RATE);
          if (!this.chatBucket.take()) throw new CodedError(ErrorCode.RateLimited, `more than ${CHAT_RATE.perSecond} chat message(s) per second`);
          const message = await this.deps.rooms.chat(member, msg.text);
          return { id: message.id };
        }
        case 'set-name': {
          this.nameBucket ??= new TokenBucket(NAME_RATE);
          if (!this.nameBucket.take()) throw new CodedError(ErrorCode.RateLimited, `more than ${NAME_RATE.perSecond} name change(s) per second`);
          await this.deps.rooms.rename(member, msg.name);
          return { name: msg.name };
        }
        case 'set-impairment': {
          requireGrant(member, 'admin');
          if (!this.deps.impairmentEnabled) throw new CodedError(ErrorCode.Forbidden, IMPAIRMENT_DISABLED);
          const { off, lossPercent, delayMs, jitterMs, kind, subscriberId } = msg;
          const settings = off ? null : { lossPercent, delayMs, jitterMs, kind, ...(subscriberId ? { subscriberId } : {}) };
          this.deps.log.info('impairment set', { room: member.room, participant: member.participantId, lossPercent: settings?.lossPercent ?? 0, delayMs: settings?.delayMs ?? 0, kind: settings?.kind ?? 'off' });
          await this.deps.rooms.setImpairment(member, settings);
          return { settings };
        }
      }
    } catch (err) {
      if (err instanceof GoneError) throw new CodedError(ErrorCode.NotJoined, 'no longer in the room');
      throw err;
    }
  }

  private async sdpStep<T>(what: 'offer' | 'answer', step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal) throw new CodedError(refusal.code, `${what} refused: ${bounded(refusal.reason, ERROR_TEXT_CHARS)}`);
      // A request that failed for another known reason (the shared state or the room's
      // owner unreachable, the participant gone) says so: only what is left is the SDP's fault.
      const code = codeOf(err);
      if (code !== undefined && code !== ErrorCode.BadSdp) throw err;
      // The engine's message can quote the client's SDP: bounded.
      throw new CodedError(ErrorCode.BadSdp, `${what} refused: ${err instanceof Error ? bounded(err.message, ERROR_TEXT_CHARS) : errorText(err)}`);
    }
  }

  private async join(token: string, roomId: string, resumeToken: string | undefined): Promise<JoinResult> {
    if (this.state !== 'awaiting-join') throw new CodedError(ErrorCode.AlreadyJoined, 'already joined');
    const verdict = this.deps.tokens.verify(token, roomId);
    if (!verdict.ok) {
      this.deps.log.warn('join refused', { room: roomId.slice(0, 64), reason: verdict.refusal.reason });
      this.deps.onAuthRefused?.(verdict.refusal.reason);
      // The response goes out first so a client that reads it knows why, then the close.
      setImmediate(this.contained('close after a refused join', () => this.end(verdict.refusal.code, verdict.refusal.reason)));
      throw new CodedError(ErrorCode.Forbidden, verdict.refusal.reason);
    }
    const { claims } = verdict;
    // Joining takes a moment in a cluster; the deadline no longer applies once it started.
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    this.state = 'joined';
    let participantId = '';
    const outcome = await this.joinRoom({
      room: claims.room,
      identity: claims.identity,
      name: claims.name,
      grants: claims.grants,
      expiresAt: claims.expiresAt,
      ...(resumeToken ? { resumeToken } : {}),
      sink: {
        send: (m) => this.send(m),
        mediaFailed: (reason) => {
          this.deps.log.warn('media failed', { room: claims.room, participant: participantId, reason: bounded(reason, ERROR_TEXT_CHARS) });
          // The engine closed this participant's media for breaking the media limits.
          if (reason.startsWith(MEDIA_ABUSE_REASON)) setImmediate(this.contained('close after media abuse', () => this.end(CloseCode.MediaAbuse, 'media limits broken')));
        },
        replaced: () => this.handOver(CloseCode.Replaced, 'joined again from another connection'),
        moved: () => this.handOver(CloseCode.RoomMoved, 'the room moved to another node'),
      },
    });
    if (!outcome.ok) {
      const [code, reason, errorCode] =
        outcome.reason === 'full'
          ? [CloseCode.RoomFull, 'room is full', ErrorCode.Forbidden]
          : [CloseCode.Degraded, 'service degraded: shared state unavailable', ErrorCode.Degraded];
      this.deps.onAuthRefused?.(reason);
      setImmediate(this.contained('close after a refused join', () => this.end(code, reason)));
      throw new CodedError(errorCode, reason);
    }
    participantId = outcome.participantId;
    if (this.state !== 'joined') {
      // The socket closed while joining: the new participant must not linger.
      void this.deps.rooms.leave({ room: claims.room, participantId }, 'disconnected');
      throw new CodedError(ErrorCode.NotJoined, 'socket closed while joining');
    }
    this.member = { room: claims.room, participantId, grants: claims.grants, expiresAt: claims.expiresAt };
    this.deps.log.info(outcome.resumed ? 'participant resumed' : 'participant joined', { room: claims.room, participant: participantId });
    return {
      protocol: PROTOCOL_VERSION,
      participantId,
      name: claims.name,
      room: claims.room,
      participants: outcome.others,
      iceServers: this.deps.iceServers(claims.identity),
      grants: claims.grants,
      heartbeatMs: this.deps.heartbeatMs,
      impairment: outcome.impairment,
      resumeToken: outcome.resumeToken,
      resumed: outcome.resumed,
      media: this.deps.media,
      chat: outcome.chat,
    };
  }

  /** rooms.join, except that a full media plane (MEDIA_CAPACITY) answers the join and closes with 1013. */
  private async joinRoom(join: Parameters<RoomService['join']>[0]): ReturnType<RoomService['join']> {
    try {
      return await this.deps.rooms.join(join);
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      this.deps.onAuthRefused?.('media capacity');
      setImmediate(this.contained('close after a refused join', () => this.end(CloseCode.TryAgainLater, 'media capacity reached')));
      throw new CodedError(refusal.code, `join refused: ${bounded(refusal.reason, ERROR_TEXT_CHARS)}`);
    }
  }

  private requireJoined(): NonNullable<Session['member']> {
    if (this.state !== 'joined' || !this.member) throw new CodedError(ErrorCode.NotJoined, 'send join first');
    return this.member;
  }

  private protocolError(id: number | undefined, code: ErrorCode, message: string): void {
    this.send(id === undefined ? { type: 'error', error: { code, message } } : { type: 'response', id, ok: false, error: { code, message } });
    if (code === ErrorCode.Internal || code === ErrorCode.Forbidden || code === ErrorCode.TokenExpired) return;
    const now = Date.now();
    this.errorTimes = this.errorTimes.filter((t) => now - t < ERROR_WINDOW_MS);
    this.errorTimes.push(now);
    if (this.errorTimes.length >= MAX_ERRORS) {
      this.deps.log.warn('closing misbehaving client', { room: this.roomId, participant: this.participantId });
      this.end(CloseCode.Misbehaving, 'too many invalid messages');
    }
  }

  private takeRateToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.tokensAt) / 1000) * RATE_PER_SECOND);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private send(message: ServerMessage): void {
    if (this.state === 'closed') return;
    this.socket.send(JSON.stringify(message));
  }
}

/** A token bucket: `burst` at once, refilled at `perSecond`. */
class TokenBucket {
  readonly perSecond: number;
  private readonly burst: number;
  private tokens: number;
  private at = Date.now();

  constructor(rate: { perSecond: number; burst: number }) {
    this.perSecond = rate.perSecond;
    this.burst = rate.burst;
    this.tokens = rate.burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
