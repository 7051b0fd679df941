// What nodes say to each other over the message bus, and how a node reads it: every
// payload is signed with a key derived from JWT_SECRET (which every node of a cluster
// shares, and whoever can PUBLISH on Redis need not know), then checked against these
// schemas. A payload that fails either is dropped and counted, never acted on: one
// forged PUBLISH once set 100 % loss on a node with SFU_IMPAIRMENT off.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { displayName, roomName } from '../auth.js';
import { ERROR_TEXT_CHARS } from '../clientValue.js';
import { ERROR_CODES } from '../errors.js';
import { CHAT_MAX_CHARS, ErrorCode, MAX_MESSAGE_BYTES, type ImpairmentSettings, type LeaveReason, type MediaKind, type ServerMessage } from '../protocol.js';
import type { PictureSize } from '../layers.js';
import type { MemberRef, ServiceJoin } from '../roomService.js';

export type JoinFields = Omit<ServiceJoin, 'sink' | 'resumeToken'>;

/** Requests an edge relays to a room's owner. */
export type RelayOp =
  | { op: 'join'; join: JoinFields; resumeParticipantId?: string }
  | { op: 'publish'; ref: MemberRef; sdp: string; video?: PictureSize; screen?: string }
  | { op: 'answer'; ref: MemberRef; sdp: string }
  | { op: 'mute'; ref: MemberRef; kind: MediaKind; muted: boolean }
  | { op: 'rename'; ref: MemberRef; name: string }
  | { op: 'video-size'; ref: MemberRef; publisherId: string; tile: PictureSize }
  | { op: 'impair'; ref: MemberRef; settings: ImpairmentSettings | null }
  | { op: 'chat'; ref: MemberRef; text: string }
  | { op: 'leave'; ref: MemberRef; reason: LeaveReason }
  | { op: 'detach'; ref: MemberRef; reason: LeaveReason };

/** Codes a refused relayed request carries back, so the edge answers its client with the owner's verdict. */

export type BusMessage =
  | { t: 'req'; id: string; from: string; body: RelayOp }
  | { t: 'res'; id: string; ok: true; value: unknown }
  | { t: 'res'; id: string; ok: false; error: string; gone: boolean; code?: ErrorCode }
  /** Owner to edge: an event for one of the edge's sockets. */
  | { t: 'evt'; participantId: string; message: ServerMessage }
  /** Owner to edge: end that socket (replaced by a newer one, or the room moved). */
  | { t: 'end'; participantId: string; why: 'replaced' | 'moved' }
  /** Owner to edge: that socket's media failed for good (a reason starting MEDIA_ABUSE closes the socket with 4015). */
  | { t: 'media-failed'; participantId: string; reason: string }
  /** Every node to all, every NODE_BEAT_INTERVAL_MS on the beats channel: "I am alive" (liveness.ts). */
  | { t: 'beat'; from: string };

/**
 * Why a payload was dropped (the `reason` label of rtc_bus_messages_rejected_total):
 * `replay` is a signed payload seen before, or stamped outside the replay window.
 */
export type BusRejection = 'signature' | 'json' | 'schema' | 'replay';
export const BUS_REJECTIONS: readonly BusRejection[] = ['signature', 'json', 'schema', 'replay'];

const id = z.string().min(1).max(128);
const nodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
// Not strict: a session's member reference carries its grants too, which the owner does not read (it has its own).
const ref = z.object({ room: roomName, participantId: id });
const sdp = z.string().min(1).max(MAX_MESSAGE_BYTES);
const pictureSize = z.strictObject({ width: z.number().int().min(0).max(16_384), height: z.number().int().min(0).max(16_384) });
const leaveReason = z.enum(['left', 'disconnected', 'timeout', 'replaced']);
const grants = z.strictObject({ publish: z.boolean(), subscribe: z.boolean(), admin: z.boolean() });
const impairment = z.strictObject({
  lossPercent: z.number().min(0).max(100),
  delayMs: z.number().int().min(0).max(5000),
  jitterMs: z.number().int().min(0).max(1000),
  kind: z.enum(['audio', 'video', 'all']),
  subscriberId: id.optional(),
});

const relayOp = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('join'),
    join: z.strictObject({ room: roomName, identity: id, name: displayName, grants, expiresAt: z.number().int().optional() }),
    resumeParticipantId: id.optional(),
  }),
  z.strictObject({ op: z.literal('publish'), ref, sdp, video: pictureSize.optional(), screen: z.string().min(1).max(32).optional() }),
  z.strictObject({ op: z.literal('answer'), ref, sdp }),
  z.strictObject({ op: z.literal('mute'), ref, kind: z.enum(['audio', 'video']), muted: z.boolean() }),
  z.strictObject({ op: z.literal('rename'), ref, name: displayName }),
  z.strictObject({ op: z.literal('video-size'), ref, publisherId: id, tile: pictureSize }),
  z.strictObject({ op: z.literal('impair'), ref, settings: impairment.nullable() }),
  z.strictObject({ op: z.literal('chat'), ref, text: z.string().min(1).max(CHAT_MAX_CHARS) }),
  z.strictObject({ op: z.literal('leave'), ref, reason: leaveReason }),
  z.strictObject({ op: z.literal('detach'), ref, reason: leaveReason }),
]);

const busMessage = z.union([
  z.strictObject({ t: z.literal('req'), id, from: nodeId, body: relayOp }),
  z.strictObject({ t: z.literal('res'), id, ok: z.literal(true), value: z.unknown() }),
  z.strictObject({
    t: z.literal('res'),
    id,
    ok: z.literal(false),
    error: z.string().max(1000),
    gone: z.boolean(),
    code: z.enum(ERROR_CODES).optional(),
  }),
  // Events are the owner's own server messages for a client, passed on as they are.
  z.strictObject({ t: z.literal('evt'), participantId: id, message: z.looseObject({ type: z.string().min(1).max(64) }) }),
  z.strictObject({ t: z.literal('end'), participantId: id, why: z.enum(['replaced', 'moved']) }),
  z.strictObject({ t: z.literal('media-failed'), participantId: id, reason: z.string().max(ERROR_TEXT_CHARS) }),
  z.strictObject({ t: z.literal('beat'), from: nodeId }),
]);

const VERSION = 'v2';

export interface BusCodecOptions {
  /**
   * A payload stamped further than this from our clock is refused, and nonces are
   * remembered this long: a captured payload cannot be published again later (a replayed
   * beat would keep a dead node alive; a replayed request would act twice). Nodes' clocks
   * must agree within it.
   */
  replayWindowMs?: number;
  /** At most this many nonces are remembered; past it, payloads are refused until old ones age out. */
  maxNonces?: number;
  now?: () => number;
}

const DEFAULT_REPLAY_WINDOW_MS = 10_000;
const DEFAULT_MAX_NONCES = 200_000;
const NONCE = /^[A-Za-z0-9_-]{16}$/;
const STAMP = /^\d{1,15}$/;

/**
 * Signs and reads bus payloads: `v2.<HMAC-SHA256, base64url>.<ms since epoch>.<nonce>.<JSON>`,
 * the MAC covering stamp, nonce and JSON. Each codec remembers the nonces it has read
 * within the replay window, so every payload is acted on at most once per node.
 */
export class BusCodec {
  readonly #key: Buffer;
  readonly #windowMs: number;
  readonly #maxNonces: number;
  readonly #now: () => number;
  /** Nonces read, with their stamps, in arrival order (so the oldest age out first). */
  readonly #seen = new Map<string, number>();

  /** `secret`: JWT_SECRET, shared by every node; the bus key is derived from it, never the secret itself. */
  constructor(secret: string, options: BusCodecOptions = {}) {
    this.#key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'rtc-sfu cluster bus v1', 32));
    this.#windowMs = options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.#maxNonces = options.maxNonces ?? DEFAULT_MAX_NONCES;
    this.#now = options.now ?? Date.now;
  }

  encode(message: BusMessage): string {
    const json = JSON.stringify(message);
    const signed = `${this.#now()}.${randomBytes(12).toString('base64url')}.${json}`;
    return `${VERSION}.${this.#mac(signed)}.${signed}`;
  }

  /** The message in a payload, or why it was dropped; `detail` is bounded text for a log line. */
  decode(payload: string): { ok: true; message: BusMessage } | { ok: false; reason: BusRejection; detail: string } {
    const first = payload.indexOf('.');
    const second = first < 0 ? -1 : payload.indexOf('.', first + 1);
    const third = second < 0 ? -1 : payload.indexOf('.', second + 1);
    const fourth = third < 0 ? -1 : payload.indexOf('.', third + 1);
    if (fourth < 0 || payload.slice(0, first) !== VERSION) return { ok: false, reason: 'signature', detail: 'not a signed bus message' };
    const signed = payload.slice(second + 1);
    const given = Buffer.from(payload.slice(first + 1, second), 'base64url');
    const expected = Buffer.from(this.#mac(signed), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature', detail: 'bad signature' };
    const stamp = payload.slice(second + 1, third);
    const nonce = payload.slice(third + 1, fourth);
    if (!STAMP.test(stamp) || !NONCE.test(nonce)) return { ok: false, reason: 'signature', detail: 'malformed stamp or nonce' };
    const replay = this.#checkFresh(Number(stamp), nonce);
    if (replay) return { ok: false, reason: 'replay', detail: replay };
    const json = payload.slice(fourth + 1);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return { ok: false, reason: 'json', detail: 'not JSON' };
    }
    const parsed = busMessage.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, reason: 'schema', detail: `${issue?.path.slice(0, 4).join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
    }
    return { ok: true, message: parsed.data as BusMessage };
  }

  /** Why a signed payload is not fresh, or undefined (and its nonce is remembered). */
  #checkFresh(stamp: number, nonce: string): string | undefined {
    const now = this.#now();
    if (Math.abs(now - stamp) > this.#windowMs) return `stamped ${now - stamp} ms from this node's clock (window ${this.#windowMs} ms)`;
    for (const [old, at] of this.#seen) {
      if (now - at <= this.#windowMs) break;
      this.#seen.delete(old);
    }
    if (this.#seen.has(nonce)) return 'nonce already seen';
    if (this.#seen.size >= this.#maxNonces) return `more than ${this.#maxNonces} messages within the replay window`;
    this.#seen.set(nonce, stamp);
    return undefined;
  }

  #mac(json: string): string {
    return createHmac('sha256', this.#key).update(json).digest('base64url');
  }
}
