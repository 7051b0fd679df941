// Errors that stand for one of the protocol's error codes (PROTOCOL.md), wherever they are
// thrown: in the session, the room service, the media engine, or on the room's owner node,
// whence the code crosses the cluster bus with the message. session.ts answers a request
// with the code an error stands for; an error that stands for none is a bug (INTERNAL,
// logged).
import { ClusterErrorCode, ClusterStateError } from './cluster/errors.js';
import { refusalOf } from './mediaRefusal.js';
import { ErrorCode } from './protocol.js';

export class CodedError extends Error {
  override readonly name: string = 'CodedError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Thrown for requests about a participant the room no longer has (NOT_JOINED). */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}

/** Every code, for checking one that arrives from another node. */
export const ERROR_CODES: readonly [ErrorCode, ...ErrorCode[]] = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/**
 * What a client is told for an error that stands for a code: the code and a message that
 * gives nothing of the server's insides away (a store's address, a stack), or undefined
 * for an unexpected error.
 */
export function protocolErrorOf(err: unknown): { code: ErrorCode; message: string } | undefined {
  const code = codeOf(err);
  if (code === undefined) return undefined;
  if (err instanceof GoneError) return { code, message: 'no longer in the room' };
  if (err instanceof ClusterStateError) return { code, message: 'service degraded: shared state unavailable, try again shortly' };
  return { code, message: err instanceof Error ? err.message : code };
}

/**
 * The protocol code an error stands for, or undefined for an unexpected one. The shared
 * state being unreachable is SERVICE_DEGRADED (try again shortly), a participant the room
 * no longer has NOT_JOINED, a media bound its own code (also when only its message came
 * across the bus).
 */
export function codeOf(err: unknown): ErrorCode | undefined {
  if (err instanceof CodedError) return err.code;
  if (err instanceof GoneError) return ErrorCode.NotJoined;
  if (err instanceof ClusterStateError) return err.code === ClusterErrorCode.Unavailable ? ErrorCode.Degraded : undefined;
  return refusalOf(err)?.code;
}
