// Why a call failed: a stable code from a closed set, the human message the page shows,
// and what caused it (a close code, a server error code, an exception).
import { CloseCode, FINAL_CLOSE_CODES } from '../../signaling/protocol.js';

export type CallErrorCode =
  | 'auth-timeout'
  | 'token-invalid'
  | 'token-expired'
  | 'token-refused'
  | 'room-mismatch'
  | 'room-full'
  | 'misbehaving'
  | 'replaced'
  | 'ended-by-server'
  | 'server-unreachable'
  | 'connection-lost'
  | 'reconnect-failed'
  | 'timeout'
  | 'request-failed'
  | 'protocol'
  | 'invalid-input'
  | 'unexpected';

const MESSAGES: Record<CallErrorCode, string> = {
  'auth-timeout': 'The server did not receive the join request in time.',
  'token-invalid': 'Your access token was refused (invalid).',
  'token-expired': 'Your access token was refused (expired). Please join again.',
  'token-refused': 'The server would not give you an access token.',
  'room-mismatch': 'Your access token was refused (it is for a different room).',
  'room-full': 'This room is full. Try again later.',
  misbehaving: 'The server closed the connection because this app sent invalid messages.',
  replaced: 'You joined this room from another tab or device, so this one was disconnected.',
  'ended-by-server': 'The server ended the call.',
  'server-unreachable': 'Could not reach the server. Check your connection and try again.',
  'connection-lost': 'The connection to the server was lost.',
  'reconnect-failed': 'Could not reconnect.',
  timeout: 'The server did not answer in time.',
  'request-failed': 'The server refused a request.',
  protocol: 'The server sent something this app did not understand.',
  'invalid-input': 'Check the room and name.',
  unexpected: 'Something went wrong. Please try again.',
};

export class CallError extends Error {
  override readonly name = 'CallError';

  constructor(
    readonly code: CallErrorCode,
    /** Human message; the default one for the code unless a more precise one is known. */
    message: string = MESSAGES[code],
    readonly details: { closeCode?: number; serverCode?: string; cause?: unknown } = {},
  ) {
    super(message);
  }

  /** True when trying again with the same token cannot help. */
  get final(): boolean {
    return this.details.closeCode !== undefined && FINAL_CLOSE_CODES.has(this.details.closeCode);
  }
}

/** The error itself when it is a CallError, else an `unexpected` one that keeps it as the cause. */
export function toCallError(err: unknown): CallError {
  return err instanceof CallError ? err : new CallError('unexpected', undefined, { cause: err });
}

const BY_CLOSE_CODE: ReadonlyMap<number, CallErrorCode> = new Map<number, CallErrorCode>([
  [CloseCode.Normal, 'ended-by-server'],
  [CloseCode.GoingAway, 'connection-lost'],
  [CloseCode.TooBig, 'misbehaving'],
  [CloseCode.AuthTimeout, 'auth-timeout'],
  [CloseCode.TokenInvalid, 'token-invalid'],
  [CloseCode.TokenExpired, 'token-expired'],
  [CloseCode.RoomMismatch, 'room-mismatch'],
  [CloseCode.RoomFull, 'room-full'],
  [CloseCode.Misbehaving, 'misbehaving'],
  [CloseCode.Replaced, 'replaced'],
  [CloseCode.Draining, 'connection-lost'],
  [CloseCode.RoomMoved, 'connection-lost'],
  [CloseCode.Degraded, 'connection-lost'],
]);

/**
 * The error for a socket that closed with `closeCode`. `everConnected` tells apart a
 * server that could not be reached from a connection that was lost.
 */
export function errorForClose(closeCode: number, reason: string, everConnected: boolean): CallError {
  const code = BY_CLOSE_CODE.get(closeCode) ?? (everConnected ? 'connection-lost' : 'server-unreachable');
  return new CallError(code, MESSAGES[code], { closeCode, cause: reason || undefined });
}
