// Generated WebSocket frames for the fuzz suite: every client message type of
// signaling/protocol.ts, valid and with mutated fields (wrong types, huge and deeply nested
// values, unknown fields and ids), unknown types, text that is not JSON, frames above the
// size limits, binary frames, and SDP offers and answers mutated from a real Chromium offer.
// fast-check draws them from a seed, so a run's frames can be drawn again (FUZZ_SEED).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { HARD_MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../signaling/protocol.js';

/** What a connection knows when its next frame is built. */
export interface LaneContext {
  room: string;
  /** A valid token for `room`, fresh identity. */
  token: () => string;
  /** The latest subscriber offer the server sent on this connection, if any. */
  lastOffer: string | undefined;
  /** The next request id (counting up, as clients do). */
  nextId: () => number;
}

/** One frame, built at send time from the connection's context. */
export interface Frame {
  /** Which generator made it, for the run's statistics. */
  label: string;
  data: string | Buffer;
  /** Sent as a binary frame; a Buffer with `binary: false` goes out as a text frame of those bytes. */
  binary?: boolean;
}

export type FrameRecipe = (ctx: LaneContext) => Frame;

const FIXTURES = path.resolve('tests/unit/fixtures');
/** Chromium's offers with their candidates pointed at the discard port, so nobody is probed. */
export const CHROMIUM_OFFERS: readonly string[] = ['chromium-offer.sdp', 'chromium-offer-simulcast.sdp'].map((name) =>
  readFileSync(path.join(FIXTURES, name), 'utf8').replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )\d+/gm, '$19'),
);

/** An answer to an offer, as a browser would shape it: receive-only, DTLS client, its own ICE credentials. */
export function answerTo(offer: string, ufrag: string): string {
  return offer
    .replace(/a=setup:actpass/g, 'a=setup:active')
    .replace(/a=(sendonly|sendrecv)/g, 'a=recvonly')
    .replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${ufrag}`)
    .replace(/^a=candidate:.*\r?\n/gm, '');
}

let lastAnswered: { offer: string; answer: string } | undefined;
/** answerTo with the latest result kept: a connection answers the same offer many times. */
function answerFor(offer: string): string {
  if (lastAnswered?.offer !== offer) lastAnswered = { offer, answer: answerTo(offer, 'fuzz') };
  return lastAnswered.answer;
}

// ---- values ----

/** Deeply nested arrays or objects, built directly (fast-check's recursion is kept shallow). */
const deepJson = fc
  .record({ depth: fc.integer({ min: 10, max: 20_000 }), object: fc.boolean() })
  .map(({ depth, object }) => (object ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth)));

/** Strings a parser may choke on: empty, control characters, lone surrogates, long. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', '\u0000', '\ud800', '\u202e', '__proto__', 'constructor', 'toString', '💥'.repeat(50), '%s%n', '\r\n\r\n'),
  fc.integer({ min: 1, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON value, bounded so generating it stays cheap. */
const anyJson = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 4 },
  { arbitrary: nastyString, weight: 3 },
  { arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 1.5, 1e308, -0, 2 ** 53), weight: 1 },
  { arbitrary: fc.array(fc.anything({ maxDepth: 2, maxKeys: 5 }), { maxLength: 5 }), weight: 1 },
);

/** A JSON value as text: usually serialised, sometimes a deep nest spliced in as raw text. */
const jsonText = fc.oneof(
  { arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null'), weight: 9 },
  { arbitrary: deepJson, weight: 1 },
);

const requestIds = fc.oneof(
  { arbitrary: fc.nat({ max: 1_000_000 }).map((n) => String(n)), weight: 6 },
  { arbitrary: jsonText, weight: 2 },
  { arbitrary: fc.constantFrom('-1', '1.5', '9007199254740993', '1e400', '"7"', 'null', 'true', '[]'), weight: 2 },
);

// ---- SDP ----

type SdpOp =
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number; times: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'replace'; at: number; text: string }
  | { op: 'insert'; at: number; text: string }
  | { op: 'truncate'; at: number }
  | { op: 'numbers'; value: string }
  | { op: 'sections'; times: number }
  | { op: 'version'; text: string };

const sdpLineText = fc.oneof(
  nastyString.map((s) => s.slice(0, 2000)),
  fc.constantFrom('m=audio', 'm=video 0', 'm=application 9 UDP/DTLS/SCTP', 'a=mid:', 'a=mid:0', 'a=rid:h send', 'a=simulcast:send h;f', 'a=ssrc-group:FID', 'a=rtpmap:', 'a=fmtp:96', 'c=IN IP6 ::', 'a=setup:passive', 'a=setup:actpass', 'a=sctp-port:70000', 'a=extmap:999 x', 'a=candidate:1 1 udp 1 127.0.0.1 9 typ host', 'a=ice-pwd:', 'a=fingerprint:sha-256 00'),
  fc.tuple(fc.constantFrom('a=', 'm=', 'c=', 'b=', 'o=', 't=', 'x='), fc.string({ maxLength: 60 })).map(([p, s]) => p + s),
);

const sdpOp: fc.Arbitrary<SdpOp> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: sdpLineText }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: sdpLineText }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('numbers' as const), value: fc.constantFrom('0', '-1', '65536', '4294967296', '99999999999999999999', 'NaN', '') }),
  fc.record({ op: fc.constant('sections' as const), times: fc.integer({ min: 2, max: 40 }) }),
  fc.record({ op: fc.constant('version' as const), text: fc.constantFrom('v=1', 'v=', 'x', '', 'v=0 extra') }),
);

/** Zero to six mutations; none leaves the real SDP as it is. */
const sdpMutations = fc.oneof({ arbitrary: fc.constant<SdpOp[]>([]), weight: 1 }, { arbitrary: fc.array(sdpOp, { minLength: 1, maxLength: 6 }), weight: 4 });

const MAX_SDP_LINES = 2000;

export function mutateSdp(sdp: string, ops: readonly SdpOp[]): string {
  let lines = sdp.split('\r\n');
  for (const op of ops) {
    const at = (n: number): number => (lines.length === 0 ? 0 : n % lines.length);
    switch (op.op) {
      case 'drop':
        lines.splice(at(op.at), 1);
        break;
      case 'duplicate':
        lines.splice(at(op.at), 0, ...Array<string>(op.times).fill(lines[at(op.at)] ?? ''));
        break;
      case 'swap': {
        const [a, b] = [at(op.a), at(op.b)];
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        break;
      }
      case 'replace':
        lines[at(op.at)] = op.text;
        break;
      case 'insert':
        lines.splice(at(op.at), 0, op.text);
        break;
      case 'truncate':
        lines = lines.join('\r\n').slice(0, op.at % (sdp.length + 1)).split('\r\n');
        break;
      case 'numbers':
        lines = lines.map((l) => l.replace(/\b\d+\b/, op.value));
        break;
      case 'sections': {
        // Repeat the media sections: the m-line cap's business (400 m-lines once went through).
        const first = lines.findIndex((l) => l.startsWith('m='));
        if (first >= 0) lines = [...lines.slice(0, first), ...Array.from({ length: op.times }, () => lines.slice(first)).flat()];
        break;
      }
      case 'version':
        lines[0] = op.text;
        break;
    }
    // Repeated sections and duplicates multiply; a few thousand lines are more than the size limit.
    if (lines.length > MAX_SDP_LINES) lines.length = MAX_SDP_LINES;
  }
  // Frames above the read limit are their own generator; keep SDP ones readable.
  return lines.join('\r\n').slice(0, MAX_MESSAGE_BYTES - 1024);
}

// ---- messages ----

const TYPES = ['join', 'publish', 'answer', 'mute', 'leave', 'ping', 'set-impairment'] as const;
type MessageType = (typeof TYPES)[number];

/** The valid fields of a message type, as JSON texts by name. */
function validFields(type: MessageType, ctx: LaneContext, pick: number): Record<string, string> {
  switch (type) {
    case 'join':
      return { token: JSON.stringify(ctx.token()), room: JSON.stringify(ctx.room) };
    case 'publish':
    case 'answer':
      return {}; // the SDP is added by the caller, mutated
    case 'mute':
      return { kind: JSON.stringify(pick % 2 ? 'audio' : 'video'), muted: String(pick % 3 === 0) };
    case 'set-impairment':
      return { lossPercent: String(pick % 101), delayMs: String(pick % 200), kind: '"all"' };
    case 'leave':
    case 'ping':
      return {};
  }
}

function objectText(fields: Record<string, string>): string {
  return `{${Object.entries(fields)
    .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
    .join(',')}}`;
}

/** How a valid message is spoilt before it is sent. */
type Spoil =
  | { kind: 'none' }
  | { kind: 'replace'; field: number; value: string }
  | { kind: 'drop'; field: number }
  | { kind: 'extra'; name: string; value: string }
  | { kind: 'id'; value: string | undefined }
  | { kind: 'type'; value: string };

const spoils: fc.Arbitrary<Spoil> = fc.oneof(
  { arbitrary: fc.constant<Spoil>({ kind: 'none' }), weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant('replace' as const), field: fc.nat(), value: jsonText }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('extra' as const), name: nastyString.map((s) => s.slice(0, 200)), value: jsonText }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('id' as const), value: fc.option(requestIds, { nil: undefined }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('type' as const), value: jsonText }), weight: 1 },
);

/** Weights of the message types: `leave` and a valid `join` end or change a connection, so they are rarer. */
const messageTypes = fc.oneof(
  ...TYPES.map((type) => ({ arbitrary: fc.constant(type), weight: type === 'leave' ? 1 : type === 'join' ? 3 : type === 'ping' ? 12 : 5 })),
);

const protocolMessage: fc.Arbitrary<FrameRecipe> = fc.record({ type: messageTypes, spoil: spoils, pick: fc.nat(), sdp: sdpMutations }).map(
  ({ type, spoil, pick, sdp }) =>
    (ctx) => {
      const fields: Record<string, string> = { type: JSON.stringify(type), id: String(ctx.nextId()), ...validFields(type, ctx, pick) };
      // Offers and answers are mutated SDP most of the time, whatever else is spoilt.
      if (type === 'publish' || type === 'answer') {
        const real = type === 'publish' ? CHROMIUM_OFFERS[pick % CHROMIUM_OFFERS.length]! : answerFor(ctx.lastOffer ?? CHROMIUM_OFFERS[pick % CHROMIUM_OFFERS.length]!);
        fields.sdp = JSON.stringify(sdp.length > 0 ? mutateSdp(real, sdp) : real);
      }
      const names = Object.keys(fields).filter((k) => k !== 'type' && k !== 'id');
      switch (spoil.kind) {
        case 'replace':
          if (names.length > 0) fields[names[spoil.field % names.length]!] = spoil.value;
          break;
        case 'drop':
          if (names.length > 0) delete fields[names[spoil.field % names.length]!];
          break;
        case 'extra':
          fields[spoil.name] = spoil.value;
          break;
        case 'id':
          if (spoil.value === undefined) delete fields.id;
          else fields.id = spoil.value;
          break;
        case 'type':
          fields.type = spoil.value;
          break;
        case 'none':
          break;
      }
      return { label: `${spoil.kind === 'none' ? 'valid' : spoil.kind}:${type}`, data: objectText(fields) };
    },
);

// ---- frames that are not protocol messages ----

const notJson: fc.Arbitrary<FrameRecipe> = fc
  .oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom('', '{', '{"type":"ping",', '{"type":"ping","id":1}}', 'null', '[]', '42', '"ping"', 'NaN', '{"id":1,"type":"ping"', '\ufeff{}'),
    jsonText,
  )
  .map((text) => () => ({ label: 'text', data: text }));

const unknownType: fc.Arbitrary<FrameRecipe> = fc
  .tuple(jsonText, fc.boolean())
  .map(([type, withId]) => (ctx) => ({ label: 'unknown-type', data: withId ? `{"type":${type},"id":${ctx.nextId()}}` : `{"type":${type}}` }));

/** Deep nesting at every place of a message: `type`, `id`, a field. */
const deepMessage: fc.Arbitrary<FrameRecipe> = fc
  .tuple(deepJson, fc.constantFrom('type', 'id', 'token', 'sdp', 'kind', 'x'))
  .map(([deep, place]) => (ctx) => ({
    label: `deep:${place}`,
    data: place === 'type' || place === 'id' ? `{"type":${place === 'type' ? deep : '"ping"'},"id":${place === 'id' ? deep : ctx.nextId()}}` : `{"type":"join","id":${ctx.nextId()},"${place}":${deep}}`,
  }));

/** Above the read limit (TOO_LARGE), and now and then above the hard limit (close 1009). */
const oversized: fc.Arbitrary<FrameRecipe> = fc
  .oneof(
    { arbitrary: fc.integer({ min: MAX_MESSAGE_BYTES + 1, max: 2 * MAX_MESSAGE_BYTES }), weight: 20 },
    { arbitrary: fc.integer({ min: 2 * MAX_MESSAGE_BYTES, max: HARD_MAX_FRAME_BYTES }), weight: 2 },
    { arbitrary: fc.integer({ min: HARD_MAX_FRAME_BYTES + 1, max: HARD_MAX_FRAME_BYTES + 4096 }), weight: 1 },
  )
  .map((size) => (ctx) => {
    const head = `{"type":"ping","id":${ctx.nextId()},"pad":"`;
    return { label: size > HARD_MAX_FRAME_BYTES ? 'oversized:hard' : 'oversized', data: head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}' };
  });

const binary: fc.Arbitrary<FrameRecipe> = fc
  .oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array()), fc.constant(Buffer.from('{"type":"ping","id":1}')))
  .map((bytes) => () => ({ label: 'binary', data: Buffer.from(bytes), binary: true }));

/** A text frame whose bytes are not UTF-8: the WebSocket layer's own business (it closes). */
const invalidUtf8: fc.Arbitrary<FrameRecipe> = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .map((bytes) => () => ({ label: 'text:invalid-utf8', data: Buffer.concat([Buffer.from('{"type":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(bytes)]), binary: false }));

/** Every kind of frame, protocol messages most often. */
export const frames: fc.Arbitrary<FrameRecipe> = fc.oneof(
  { arbitrary: protocolMessage, weight: 300 },
  { arbitrary: notJson, weight: 40 },
  { arbitrary: unknownType, weight: 30 },
  { arbitrary: deepMessage, weight: 10 },
  { arbitrary: binary, weight: 30 },
  { arbitrary: oversized, weight: 1 },
  { arbitrary: invalidUtf8, weight: 1 },
);

/** `count` frame recipes drawn from `seed`; the same seed draws the same frames. */
export function drawFrames(seed: number, count: number): FrameRecipe[] {
  return fc.sample(frames, { seed, numRuns: count });
}
