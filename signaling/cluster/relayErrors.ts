// How a refused relayed request crosses the bus and comes out on the asking node as the
// same refusal: the owner's message, bounded, with the protocol code it stands for, so a
// client hears FORBIDDEN, TRACK_LIMIT or SERVICE_DEGRADED from the owner as from its own
// node; a participant the owner no longer has stays a GoneError (NOT_JOINED).
import { bounded, ERROR_TEXT_CHARS, errorText } from '../clientValue.js';
import { CodedError, codeOf, GoneError, protocolErrorOf } from '../errors.js';
import { ErrorCode } from '../protocol.js';

/** What a refusal becomes on the bus (the fields of a `res` with ok: false). */
export interface RelayedRefusal {
  error: string;
  gone: boolean;
  code?: ErrorCode;
}

/** A relayed request whose node was judged dead before it answered: the client may try again shortly. */
export class PeerDeadError extends CodedError {
  constructor(readonly node: string) {
    super(ErrorCode.Degraded, `node ${node} died before it answered`);
  }
}

/** The owner's side: an error as it goes back over the bus. The edge passes the message on to its client, so it is bounded here. */
export function refusalForBus(err: unknown): RelayedRefusal {
  const error = bounded(protocolErrorOf(err)?.message ?? (err instanceof Error ? err.message : errorText(err)), ERROR_TEXT_CHARS);
  // GoneError has its own flag; its code is implied.
  const code = err instanceof GoneError ? undefined : codeOf(err);
  return { error, gone: err instanceof GoneError, ...(code === undefined ? {} : { code }) };
}

/** The edge's side: the error a refusal from the owner stands for, with its code. */
export function errorFromBus(refusal: RelayedRefusal): Error {
  if (refusal.gone) return new GoneError(refusal.error);
  if (refusal.code) return new CodedError(refusal.code, refusal.error);
  return new Error(refusal.error);
}
