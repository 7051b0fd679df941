// Zod schemas for every client -> server message: the edge where untrusted frames
// become typed values. Nothing that fails here reaches session or room logic.
import { z } from 'zod';
import { displayName } from './auth.js';
import { bounded, describeClientValue, ERROR_TEXT_CHARS } from './clientValue.js';
import { CHAT_MAX_CHARS, ErrorCode, MAX_MESSAGE_BYTES, type ClientMessageType } from './protocol.js';

const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const sdp = z.string().min(1).max(MAX_MESSAGE_BYTES);
const mediaKind = z.enum(['audio', 'video']);

// ---- client -> server requests (each carries an id and gets exactly one response) ----

/** First message on every socket: proves identity and enters the room. */
const joinRequest = z.strictObject({
  type: z.literal('join'),
  id: requestId,
  token: z.string().min(1).max(4096),
  room: z.string().min(1).max(64),
  /** A resume token from an earlier join result. */
  resume: z.string().min(1).max(128).optional(),
});
/** A picture size in pixels (a camera's capture size, a tile on screen). */
const pictureSize = z.strictObject({ width: z.number().int().min(0).max(16_384), height: z.number().int().min(0).max(16_384) });
/**
 * The client's publisher offer (sendonly audio/video); answered with the SFU's answer.
 * `video`: the camera's capture size, from which the SFU knows its simulcast layers' sizes.
 */
/** A mid as browsers write them; `screen` names the m-line of the screen share. */
const mid = z.string().min(1).max(32).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - or _');
const publishRequest = z.strictObject({ type: z.literal('publish'), id: requestId, sdp, video: pictureSize.optional(), screen: mid.optional() });
/** The client's answer to the server's latest `offer` event for its subscriber connection. */
const answerRequest = z.strictObject({ type: z.literal('answer'), id: requestId, sdp });
/** Tells the room that this participant muted or unmuted a track. */
const muteRequest = z.strictObject({
  type: z.literal('mute'),
  id: requestId,
  kind: mediaKind,
  muted: z.boolean(),
});
/** Leaves the room; the server answers and then closes the socket with 1000. */
const leaveRequest = z.strictObject({ type: z.literal('leave'), id: requestId });
/** Application-level round trip, for clients that want to measure signaling latency. */
const pingRequest = z.strictObject({ type: z.literal('ping'), id: requestId });

/** Admin only: impairs what the SFU forwards in this room; `off: true` clears it. */
const setImpairmentRequest = z.strictObject({
  type: z.literal('set-impairment'),
  id: requestId,
  off: z.boolean().optional(),
  lossPercent: z.number().min(0).max(100).default(0),
  delayMs: z.number().int().min(0).max(5000).default(0),
  jitterMs: z.number().int().min(0).max(1000).default(0),
  kind: z.enum(['audio', 'video', 'all']).default('all'),
  subscriberId: z.string().min(1).max(64).optional(),
});

/**
 * The tile showing `participantId`'s video is `width` x `height` device pixels: the SFU
 * sends that subscriber the smallest simulcast layer that fills it. Rate limited.
 */
const videoSizeRequest = pictureSize.extend({
  type: z.literal('video-size'),
  id: requestId,
  participantId: z.string().min(1).max(64),
});

/** A chat message to everyone in the room; not only whitespace. Rate limited. */
const chatRequest = z.strictObject({
  type: z.literal('chat'),
  id: requestId,
  text: z
    .string()
    .max(CHAT_MAX_CHARS, `at most ${CHAT_MAX_CHARS} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty'),
});

/** A new display name for this participant, checked as a token's name is. Rate limited. */
const setNameRequest = z.strictObject({
  type: z.literal('set-name'),
  id: requestId,
  name: displayName,
});

export const clientMessage = z.discriminatedUnion('type', [
  joinRequest,
  publishRequest,
  answerRequest,
  muteRequest,
  leaveRequest,
  pingRequest,
  setImpairmentRequest,
  videoSizeRequest,
  chatRequest,
  setNameRequest,
]);
export type ClientMessage = z.infer<typeof clientMessage>;
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = [
  'join',
  'publish',
  'answer',
  'mute',
  'leave',
  'ping',
  'set-impairment',
  'video-size',
  'chat',
  'set-name',
];

/** Reads a raw frame into a typed client message or a stable error. */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; id: number | undefined; code: ErrorCode; message: string };

export function parseClientMessage(raw: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, id: undefined, code: ErrorCode.BadJson, message: 'frame is not valid JSON' };
  }
  const id = readId(data);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, id, code: ErrorCode.BadMessage, message: 'message must be a JSON object' };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string' || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    // The type is the client's: described with a bound, never stringified (see clientValue.ts).
    return { ok: false, id, code: ErrorCode.UnknownType, message: `unknown message type ${describeClientValue(type)}` };
  }
  const parsed = clientMessage.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : type;
    // zod's messages can quote the client (an unknown field's name), hence the bound.
    return { ok: false, id, code: ErrorCode.BadMessage, message: bounded(`${where}: ${issue?.message ?? 'invalid'}`, ERROR_TEXT_CHARS) };
  }
  return { ok: true, message: parsed.data };
}

function readId(data: unknown): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const id = (data as { id?: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
