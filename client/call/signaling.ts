// The signaling socket: numbered requests that resolve on their response, server events,
// and one `close` event with the code and reason. Frames are read defensively: the
// server is trusted, but garbage must not crash the page.
import type { ChatMessage, ImpairmentSettings, LeaveReason, ParticipantInfo, ServerStreamStats, TrackMapping } from '../../signaling/protocol.js';
import type { ClientMessage } from '../../signaling/schema.js';
import { Emitter } from './emitter.js';
import { CallError, errorForClose } from './errors.js';
import { isRecord, readChatMessage, readImpairment, readMediaStats, readParticipant, readTrackMapping } from './wire.js';

/** A client message without its id: the client numbers requests itself. */
export type SignalingRequest = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, 'id'> : never) : never;

export interface SignalingEvents {
  'participant-joined': { participant: ParticipantInfo };
  'participant-left': { participantId: string; reason: LeaveReason };
  'participant-updated': { participant: ParticipantInfo };
  offer: { sdp: string; tracks: TrackMapping[] };
  'media-stats': { at: number; streams: ServerStreamStats[] };
  impairment: { settings: ImpairmentSettings | null };
  chat: { message: ChatMessage };
  /** The socket is gone; `local` when this side closed it. Emitted exactly once. */
  close: { code: number; reason: string; local: boolean };
}

const REQUEST_TIMEOUT_MS = 10_000;
const OPEN_TIMEOUT_MS = 10_000;
/** Close code this client uses when it gives up on a socket itself (silent server, failed media). */
export const LOCAL_CLOSE_CODE = 4000;

interface Pending {
  resolve(result: unknown): void;
  reject(error: CallError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The signaling endpoint of the page's own origin. */
export function signalingUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

export class SignalingClient extends Emitter<SignalingEvents> {
  private readonly socket: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private opened = false;
  private closed = false;

  constructor(url: string) {
    super();
    this.socket = new WebSocket(url);
    this.socket.addEventListener('message', (ev) => this.onFrame(ev.data));
    this.socket.addEventListener('close', (ev) => this.finish(ev.code, ev.reason, false));
  }

  /** Resolves once the socket is open; rejects if it closes or takes too long first. */
  open(): Promise<void> {
    if (this.opened) return Promise.resolve();
    if (this.closed) return Promise.reject(new CallError('server-unreachable'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close(LOCAL_CLOSE_CODE, 'open timeout');
        reject(new CallError('server-unreachable'));
      }, OPEN_TIMEOUT_MS);
      const offClose = this.on('close', ({ code, reason, local }) => {
        clearTimeout(timer);
        reject(local ? closedHere(reason) : errorForClose(code, reason, false));
      });
      this.socket.addEventListener(
        'open',
        () => {
          clearTimeout(timer);
          offClose();
          this.opened = true;
          resolve();
        },
        { once: true },
      );
    });
  }

  /**
   * Sends a request and resolves with its result. Rejects with a CallError: `timeout`
   * after REQUEST_TIMEOUT_MS, `request-failed` for an error response (with the server's
   * code), or the socket's close error.
   */
  request(message: SignalingRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    if (this.closed) return Promise.reject(new CallError('connection-lost'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CallError('timeout', undefined, { cause: `${message.type} request timed out` }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.socket.send(JSON.stringify({ ...message, id }));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new CallError('connection-lost', undefined, { cause: err }));
      }
    });
  }

  /** Closes the socket from this side; `close` is emitted at once, not when the peer answers. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    // Some WebSockets fire `close` from inside close() (Node's, on a socket still
    // connecting): finished here first, so that one reads as this side's close.
    this.finish(code, reason, true);
    try {
      this.socket.close(code, reason);
    } catch {
      // An invalid code or a socket still connecting: finished above either way.
    }
  }

  private finish(code: number, reason: string, local: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const error = local ? closedHere(reason) : errorForClose(code, reason, this.opened);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    this.emit('close', { code, reason, local });
    this.removeAllListeners();
  }

  private onFrame(data: unknown): void {
    if (this.closed || typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('signaling: ignored a frame that is not JSON');
      return;
    }
    if (!isRecord(msg) || typeof msg.type !== 'string') {
      console.warn('signaling: ignored a frame without a type');
      return;
    }
    switch (msg.type) {
      case 'response':
        return this.onResponse(msg);
      case 'error':
        console.warn('signaling: server reported a protocol error', msg.error);
        return;
      case 'participant-joined':
      case 'participant-updated': {
        const participant = readParticipant(msg.participant);
        if (participant) this.emit(msg.type, { participant });
        else console.warn(`signaling: ignored a malformed ${msg.type}`);
        return;
      }
      case 'participant-left':
        if (typeof msg.participantId === 'string') {
          const reason = typeof msg.reason === 'string' ? (msg.reason as LeaveReason) : 'left';
          this.emit('participant-left', { participantId: msg.participantId, reason });
        }
        return;
      case 'offer': {
        const tracks = Array.isArray(msg.tracks) ? msg.tracks.map(readTrackMapping) : undefined;
        if (typeof msg.sdp === 'string' && tracks && tracks.every((t) => t !== undefined)) {
          this.emit('offer', { sdp: msg.sdp, tracks: tracks as TrackMapping[] });
        } else {
          console.warn('signaling: ignored a malformed offer');
        }
        return;
      }
      case 'media-stats': {
        const stats = readMediaStats(msg);
        if (stats) this.emit('media-stats', stats);
        else console.warn('signaling: ignored a malformed media-stats');
        return;
      }
      case 'impairment': {
        const settings = readImpairment(msg.settings);
        if (settings !== undefined) this.emit('impairment', { settings });
        else console.warn('signaling: ignored a malformed impairment');
        return;
      }
      case 'chat': {
        const message = readChatMessage(msg.message);
        if (message) this.emit('chat', { message });
        else console.warn('signaling: ignored a malformed chat');
        return;
      }
      default:
        console.warn(`signaling: ignored unknown message type ${msg.type.slice(0, 40)}`);
    }
  }

  private onResponse(msg: Record<string, unknown>): void {
    if (typeof msg.id !== 'number') return;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    this.pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok === true) {
      pending.resolve(msg.result);
      return;
    }
    const error = isRecord(msg.error) ? msg.error : {};
    const serverCode = typeof error.code === 'string' ? error.code : 'UNKNOWN';
    const text = typeof error.message === 'string' ? error.message : 'request failed';
    pending.reject(new CallError('request-failed', undefined, { serverCode, cause: text }));
  }
}

/**
 * What pending requests get when this side closed the socket: the connection is gone, and
 * nothing more. Not the close code's own meaning: 1000 from the server ends the call for
 * good, but the page closing a socket it gave up on (a resume attempt overtaken by a media
 * failure) must leave the retrying to its caller.
 */
function closedHere(reason: string): CallError {
  return new CallError('connection-lost', undefined, { cause: reason || 'closed by this page' });
}
