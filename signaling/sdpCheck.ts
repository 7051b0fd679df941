// The shape of the SDP a client sends, checked before any media engine sees it: an offer
// must be an SDP with a few m-lines; an answer must answer the outstanding offer m-line
// for m-line, with the same mids. Engines took anything of the right length: `x` as an
// answer left werift's subscriber connection half negotiated, and a later teardown threw.
import sdpTransform, { type SessionDescription } from 'sdp-transform';
import { describeClientValue } from './clientValue.js';
import { CodedError } from './errors.js';
import { ErrorCode } from './protocol.js';

/** Most m-lines (tracks and data channels) one publisher offer may carry: MAX_MLINES_PER_OFFER's default. */
export const MAX_OFFER_M_LINES = 8;
/** The ceiling MAX_MLINES_PER_OFFER may be raised to; every node checks it whatever its configuration. */
export const MAX_OFFER_M_LINES_CEILING = 64;
/** Most tracks (sending audio and video m-lines) one participant may publish: MAX_TRACKS_PER_PARTICIPANT's default. */
export const MAX_TRACKS_PER_PARTICIPANT = 4;

/** The configurable bounds of a publisher offer. */
export interface OfferLimits {
  maxMLines: number;
  maxTracks: number;
}

export const DEFAULT_OFFER_LIMITS: OfferLimits = { maxMLines: MAX_OFFER_M_LINES, maxTracks: MAX_TRACKS_PER_PARTICIPANT };

/** An SDP the server refuses to pass on; the client hears BAD_SDP with this message. */
export class SdpRefusedError extends CodedError {
  override readonly name = 'SdpRefusedError';

  constructor(message: string) {
    super(ErrorCode.BadSdp, message);
  }
}

interface MLine {
  type: string | undefined;
  port: number | undefined;
  mid: string | undefined;
  direction: string | undefined;
}

/** Why a publisher offer is refused, or undefined when its shape is fine. */
export function offerProblem(sdp: string, maxMLines = MAX_OFFER_M_LINES_CEILING): string | undefined {
  const mLines = readMLines(sdp);
  if (typeof mLines === 'string') return mLines;
  return mLineCountProblem(mLines, maxMLines);
}

/**
 * Why a publisher offer breaks a bound, with the code the client hears: BAD_SDP for its
 * shape or m-line count, TRACK_LIMIT for more sending tracks than allowed.
 */
export function offerRefusal(sdp: string, limits: OfferLimits): { code: 'BAD_SDP' | 'TRACK_LIMIT'; message: string } | undefined {
  const mLines = readMLines(sdp);
  if (typeof mLines === 'string') return { code: 'BAD_SDP', message: mLines };
  const problem = mLineCountProblem(mLines, limits.maxMLines);
  if (problem !== undefined) return { code: 'BAD_SDP', message: problem };
  const tracks = publishedTracks(mLines);
  if (tracks > limits.maxTracks) return { code: 'TRACK_LIMIT', message: `the offer publishes ${tracks} tracks; at most ${limits.maxTracks} per participant` };
  return undefined;
}

/** The mids of the tracks an offer publishes (audio and video m-lines that send), for the engines' own count. */
export function publishedMids(sdp: string): string[] {
  const mLines = readMLines(sdp);
  if (typeof mLines === 'string') return [];
  return mLines.filter(isPublishedTrack).map((m, i) => m.mid ?? `#${i}`);
}

function publishedTracks(mLines: MLine[]): number {
  return mLines.filter(isPublishedTrack).length;
}

function isPublishedTrack(m: MLine): boolean {
  return (m.type === 'audio' || m.type === 'video') && m.port !== 0 && m.direction !== 'recvonly' && m.direction !== 'inactive';
}

function mLineCountProblem(mLines: MLine[], maxMLines: number): string | undefined {
  if (mLines.length === 0) return 'the offer has no m-lines';
  if (mLines.length > maxMLines) return `the offer has ${mLines.length} m-lines; at most ${maxMLines} are accepted`;
  return undefined;
}

/** Why an answer to `offerSdp` (an offer the server made) is refused, or undefined when it matches. */
export function answerProblem(offerSdp: string, answerSdp: string): string | undefined {
  const offered = readMLines(offerSdp);
  if (typeof offered === 'string') throw new Error(`the server's own offer is not SDP: ${offered}`);
  const answered = readMLines(answerSdp);
  if (typeof answered === 'string') return answered;
  if (answered.length !== offered.length) return `the answer has ${answered.length} m-lines; the offer has ${offered.length}`;
  for (const [i, a] of answered.entries()) {
    const o = offered[i]!;
    if (a.type !== o.type) return `m-line ${i} is ${describeClientValue(a.type)} in the answer, ${describeClientValue(o.type)} in the offer`;
    // A rejected m-line (port 0) need not repeat its mid.
    if (a.mid === undefined && a.port === 0) continue;
    if (a.mid !== o.mid) return `m-line ${i} has mid ${describeClientValue(a.mid)} in the answer, ${describeClientValue(o.mid)} in the offer`;
  }
  return undefined;
}

/** Throws SdpRefusedError for a problem. */
export function refuseIf(problem: string | undefined): void {
  if (problem !== undefined) throw new SdpRefusedError(problem);
}

function readMLines(sdp: string): MLine[] | string {
  let parsed: SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch {
    return 'not a parseable SDP';
  }
  // sdp-transform skips lines it does not know, so `x` parses; an SDP starts with v=0.
  if (parsed.version !== 0) return 'not an SDP (no "v=0" line)';
  const mLines: MLine[] = [];
  for (const media of parsed.media ?? []) {
    if (typeof media.type !== 'string' || typeof media.port !== 'number') return `m-line ${mLines.length} is malformed`;
    // sdp-transform reads a mid of digits as a number.
    const mid = media.mid === undefined ? undefined : String(media.mid);
    mLines.push({ type: media.type, port: media.port, mid, direction: typeof media.direction === 'string' ? media.direction : undefined });
  }
  return mLines;
}
