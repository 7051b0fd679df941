// One signaling session per WebSocket: waits for `join` (with a deadline), then routes
// each validated request to the room and the member's media, and answers every request
// exactly once. Misbehaviour costs an error response first and the socket only when it
// keeps up.
import { randomUUID } from 'node:crypto';
import type { TokenIssuer } from './auth.js';
import type { Logger } from './log.js';
import {
  CloseCode,
  ErrorCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type IceServer,
  type JoinResult,
  type LeaveReason,
  type ServerMessage,
} from './protocol.js';
import type { Member, Room, RoomDirectory } from './room.js';
import { parseClientMessage, type ClientMessage } from './schema.js';

/** The few things a session needs from its socket. */
export interface SessionSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  rooms: RoomDirectory;
  tokens: TokenIssuer;
  log: Logger;
  iceServers: () => IceServer[];
  heartbeatMs: number;
  joinTimeoutMs: number;
  /** Whether admins may set the SFU's controlled impairment (SFU_IMPAIRMENT). */
  impairmentEnabled: boolean;
  /** Observes refused joins, by reason, for metrics. */
  onAuthRefused?: (reason: string) => void;
  /** Observes every handled request, for metrics. */
  onRequest?: (type: string, outcome: 'ok' | ErrorCode, seconds: number) => void;
}

/** Requests per second a client may sustain, and the burst it may send at once. */
const RATE_PER_SECOND = 50;
const RATE_BURST = 100;
/** Errors within this window after which the socket is closed as misbehaving. */
const MAX_ERRORS = 20;
const ERROR_WINDOW_MS = 10_000;

class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class Session {
  private state: 'awaiting-join' | 'joined' | 'closed' = 'awaiting-join';
  private room: Room | undefined;
  private member: Member | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private tokens = RATE_BURST;
  private tokensAt = Date.now();
  private errorTimes: number[] = [];

  constructor(
    private readonly socket: SessionSocket,
    private readonly deps: SessionDeps,
  ) {
    this.joinTimer = setTimeout(() => this.end(CloseCode.AuthTimeout, 'no join within deadline'), deps.joinTimeoutMs);
  }

  get participantId(): string | undefined {
    return this.member?.participantId;
  }

  get roomId(): string | undefined {
    return this.room?.id;
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

  /** The socket closed or was terminated (heartbeat): leave the room. */
  socketClosed(reason: LeaveReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.joinTimer);
    if (this.room && this.member) {
      this.deps.log.info('participant left', { room: this.room.id, participant: this.member.participantId, reason });
      this.room.leave(this.member.participantId, reason);
    }
    this.member = undefined;
    this.room = undefined;
  }

  /** Ends the session from the server side with a close code. */
  end(code: number, reason: string, leaveReason: LeaveReason = 'disconnected'): void {
    if (this.state === 'closed') return;
    this.socketClosed(leaveReason);
    this.socket.close(code, reason);
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.execute(msg);
      this.send({ type: 'response', id: msg.id, ok: true, result });
      this.deps.onRequest?.(msg.type, 'ok', (performance.now() - started) / 1000);
      if (msg.type === 'leave') this.end(CloseCode.Normal, 'left', 'left');
    } catch (err) {
      const code = err instanceof RequestError ? err.code : ErrorCode.Internal;
      const message = err instanceof RequestError ? err.message : 'internal error';
      if (!(err instanceof RequestError)) {
        this.deps.log.error('request failed', { type: msg.type, room: this.room?.id, participant: this.participantId, error: String(err) });
      }
      this.deps.onRequest?.(msg.type, code, (performance.now() - started) / 1000);
      this.protocolError(msg.id, code, message);
    }
  }

  private async execute(msg: ClientMessage): Promise<unknown> {
    if (msg.type === 'ping') return { t: Date.now() };
    if (msg.type === 'join') return this.join(msg.token, msg.room);
    const { room, member } = this.requireJoined();
    switch (msg.type) {
      case 'publish': {
        if (!member.grants.publish) throw new RequestError(ErrorCode.Forbidden, 'token has no publish grant');
        const media = this.requireMedia(member);
        try {
          return { sdp: await media.publish(msg.sdp) };
        } catch (err) {
          throw new RequestError(ErrorCode.BadSdp, `offer refused: ${String(err instanceof Error ? err.message : err).slice(0, 200)}`);
        }
      }
      case 'answer': {
        const media = this.requireMedia(member);
        try {
          await media.answer(msg.sdp);
        } catch (err) {
          throw new RequestError(ErrorCode.BadSdp, `answer refused: ${String(err instanceof Error ? err.message : err).slice(0, 200)}`);
        }
        return {};
      }
      case 'mute':
        room.setMuted(member.participantId, msg.kind, msg.muted);
        return {};
      case 'leave':
        return {};
      case 'set-impairment': {
        if (!member.grants.admin) throw new RequestError(ErrorCode.Forbidden, 'token has no admin grant');
        if (!this.deps.impairmentEnabled) throw new RequestError(ErrorCode.Forbidden, 'impairment is disabled on this server (SFU_IMPAIRMENT=true enables it)');
        const { off, lossPercent, delayMs, jitterMs, kind, subscriberId } = msg;
        const settings = off ? null : { lossPercent, delayMs, jitterMs, kind, ...(subscriberId ? { subscriberId } : {}) };
        this.deps.log.info('impairment set', { room: room.id, participant: member.participantId, lossPercent: settings?.lossPercent ?? 0, delayMs: settings?.delayMs ?? 0, kind: settings?.kind ?? 'off' });
        room.setImpairment(settings);
        return { settings };
      }
    }
  }

  private join(token: string, roomId: string): JoinResult {
    if (this.state !== 'awaiting-join') throw new RequestError(ErrorCode.AlreadyJoined, 'already joined');
    const verdict = this.deps.tokens.verify(token, roomId);
    if (!verdict.ok) {
      this.deps.log.warn('join refused', { room: roomId.slice(0, 64), reason: verdict.refusal.reason });
      this.deps.onAuthRefused?.(verdict.refusal.reason);
      // The response goes out first so a client that reads it knows why, then the close.
      setImmediate(() => this.end(verdict.refusal.code, verdict.refusal.reason));
      throw new RequestError(ErrorCode.Forbidden, verdict.refusal.reason);
    }
    const { claims } = verdict;
    const room = this.deps.rooms.getOrCreate(claims.room);
    const participantId = randomUUID();
    const outcome = room.join({
      participantId,
      identity: claims.identity,
      name: claims.name,
      grants: claims.grants,
      sink: {
        send: (m) => this.send(m),
        mediaFailed: (reason) => {
          this.deps.log.warn('media failed', { room: room.id, participant: participantId, reason });
        },
        replaced: () => this.end(CloseCode.Replaced, 'joined again from another connection', 'replaced'),
      },
    });
    if (!outcome.ok) {
      this.deps.onAuthRefused?.('room full');
      setImmediate(() => this.end(CloseCode.RoomFull, 'room is full'));
      throw new RequestError(ErrorCode.Forbidden, 'room is full');
    }
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    this.state = 'joined';
    this.room = room;
    this.member = outcome.member;
    this.deps.log.info('participant joined', { room: room.id, participant: participantId, size: room.size });
    return {
      protocol: PROTOCOL_VERSION,
      participantId,
      name: claims.name,
      room: room.id,
      participants: outcome.others,
      iceServers: this.deps.iceServers(),
      grants: claims.grants,
      heartbeatMs: this.deps.heartbeatMs,
      impairment: room.impairment,
    };
  }

  private requireJoined(): { room: Room; member: Member } {
    if (this.state !== 'joined' || !this.room || !this.member) throw new RequestError(ErrorCode.NotJoined, 'send join first');
    return { room: this.room, member: this.member };
  }

  private requireMedia(member: Member): NonNullable<Member['media']> {
    if (!member.media) throw new RequestError(ErrorCode.NotJoined, 'media is closed');
    return member.media;
  }

  private protocolError(id: number | undefined, code: ErrorCode, message: string): void {
    this.send(id === undefined ? { type: 'error', error: { code, message } } : { type: 'response', id, ok: false, error: { code, message } });
    if (code === ErrorCode.Internal || code === ErrorCode.Forbidden) return;
    const now = Date.now();
    this.errorTimes = this.errorTimes.filter((t) => now - t < ERROR_WINDOW_MS);
    this.errorTimes.push(now);
    if (this.errorTimes.length >= MAX_ERRORS) {
      this.deps.log.warn('closing misbehaving client', { room: this.room?.id, participant: this.participantId });
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
