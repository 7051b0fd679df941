// A media bound refused a request (PROTOCOL.md, "Media limits"): the client hears the
// code, not BAD_SDP. Across the cluster bus only an error's message travels, so the code
// also leads the message ("TRACK_LIMIT: ...") and is read back from there.
import { ErrorCode } from './protocol.js';

export type MediaRefusalCode = typeof ErrorCode.TrackLimit | typeof ErrorCode.PublishInProgress | typeof ErrorCode.MediaCapacity | typeof ErrorCode.BadSdp;

const CODES: readonly MediaRefusalCode[] = [ErrorCode.TrackLimit, ErrorCode.PublishInProgress, ErrorCode.MediaCapacity];

export class MediaRefusedError extends Error {
  override readonly name = 'MediaRefusedError';

  constructor(
    readonly code: MediaRefusalCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/** The refusal an error stands for (also one that crossed the cluster bus as a message), or undefined. */
export function refusalOf(err: unknown): { code: MediaRefusalCode; reason: string } | undefined {
  if (err instanceof MediaRefusedError) return { code: err.code, reason: err.reason };
  if (!(err instanceof Error)) return undefined;
  for (const code of CODES) {
    if (err.message.startsWith(`${code}: `)) return { code, reason: err.message.slice(code.length + 2) };
  }
  return undefined;
}

/** The prefix of a media `failed` reason that means the participant broke the data limits (close 4015). */
export const MEDIA_ABUSE_REASON = 'MEDIA_ABUSE';
