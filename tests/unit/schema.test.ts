// The edge where untrusted frames become typed messages: every valid message passes
// unchanged, everything else becomes a stable error code (with the request id when it
// can be read, so the client can match the error to its request).
import { describe, it, expect } from 'vitest';
import { ErrorCode, MAX_MESSAGE_BYTES } from '../../signaling/protocol.js';
import { parseClientMessage, type ParseResult } from '../../signaling/schema.js';

function parse(value: unknown): ParseResult {
  return parseClientMessage(JSON.stringify(value));
}

function expectError(result: ParseResult, code: ErrorCode, id: number | undefined): string {
  if (result.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.message)}`);
  expect(result.code).toBe(code);
  expect(result.id).toBe(id);
  return result.message;
}

describe('parseClientMessage: messages a well-behaved client sends', () => {
  const good = [
    { type: 'join', id: 1, token: 'header.payload.signature', room: 'demo' },
    { type: 'publish', id: 2, sdp: 'v=0\r\n' },
    { type: 'answer', id: 3, sdp: 'v=0\r\n' },
    { type: 'mute', id: 4, kind: 'audio', muted: true },
    { type: 'mute', id: 5, kind: 'video', muted: false },
    { type: 'leave', id: 6 },
    { type: 'ping', id: 0 },
  ];
  it.each(good)('accepts $type (id $id) as it is', (message) => {
    const result = parse(message);
    expect(result).toEqual({ ok: true, message });
  });

  it('accepts the largest safe integer as a request id', () => {
    const result = parse({ type: 'ping', id: Number.MAX_SAFE_INTEGER });
    expect(result.ok).toBe(true);
  });

  it('accepts an SDP of exactly the message size limit', () => {
    expect(parse({ type: 'publish', id: 1, sdp: 'a'.repeat(MAX_MESSAGE_BYTES) }).ok).toBe(true);
  });
});

describe('parseClientMessage: frames that are not messages', () => {
  it('reports a frame that is not JSON as BAD_JSON without an id', () => {
    expectError(parseClientMessage('{"type":"ping","id":1'), ErrorCode.BadJson, undefined);
    expectError(parseClientMessage(''), ErrorCode.BadJson, undefined);
  });

  it.each([['[1,2]'], ['42'], ['"ping"'], ['null'], ['true']])('reports the non-object %s as BAD_MESSAGE', (raw) => {
    expectError(parseClientMessage(raw), ErrorCode.BadMessage, undefined);
  });

  it('reports an unknown type as UNKNOWN_TYPE and keeps the id for the response', () => {
    const message = expectError(parse({ type: 'subscribe', id: 7 }), ErrorCode.UnknownType, 7);
    expect(message).toContain('subscribe');
  });

  it('reports a missing or non-string type as UNKNOWN_TYPE', () => {
    expectError(parse({ id: 8 }), ErrorCode.UnknownType, 8);
    expectError(parse({ type: 3, id: 9 }), ErrorCode.UnknownType, 9);
  });

  it('does not echo a huge unknown type back in full', () => {
    const message = expectError(parse({ type: 'x'.repeat(10_000), id: 1 }), ErrorCode.UnknownType, 1);
    expect(message.length).toBeLessThan(100);
  });

  it('refuses a type nested 5,000 levels deep (10 KB of brackets) with UNKNOWN_TYPE instead of throwing', () => {
    const raw = `{"type":${'['.repeat(5000)}${']'.repeat(5000)},"id":1}`;
    let result: ParseResult | undefined;
    expect(() => (result = parseClientMessage(raw))).not.toThrow();
    expect(expectError(result!, ErrorCode.UnknownType, 1)).toBe('unknown message type an array');
  });

  it('names the kind of a non-string type, never its contents', () => {
    expect(expectError(parse({ type: { a: { b: 'secret' } }, id: 1 }), ErrorCode.UnknownType, 1)).not.toContain('secret');
    expect(expectError(parse({ type: 3, id: 2 }), ErrorCode.UnknownType, 2)).toBe('unknown message type 3');
  });

  it('does not treat inherited object properties as message types', () => {
    expectError(parse({ type: 'toString', id: 1 }), ErrorCode.UnknownType, 1);
    expectError(parse({ type: '__proto__', id: 1 }), ErrorCode.UnknownType, 1);
  });
});

describe('parseClientMessage: messages with wrong fields', () => {
  it('names the field whose type is wrong', () => {
    const message = expectError(parse({ type: 'join', id: 1, token: 42, room: 'demo' }), ErrorCode.BadMessage, 1);
    expect(message).toMatch(/^token:/);
  });

  it.each([
    ['a mute of an unknown kind', { type: 'mute', id: 1, kind: 'screen', muted: true }],
    ['a mute flag that is a string', { type: 'mute', id: 1, kind: 'audio', muted: 'yes' }],
    ['an empty SDP', { type: 'publish', id: 1, sdp: '' }],
    ['an SDP above the size limit', { type: 'answer', id: 1, sdp: 'a'.repeat(MAX_MESSAGE_BYTES + 1) }],
    ['a join without a room', { type: 'join', id: 1, token: 't' }],
    ['a join with an empty token', { type: 'join', id: 1, token: '', room: 'demo' }],
    ['a room name longer than 64 characters', { type: 'join', id: 1, token: 't', room: 'r'.repeat(65) }],
    ['a token longer than 4096 characters', { type: 'join', id: 1, token: 't'.repeat(4097), room: 'demo' }],
  ])('refuses %s as BAD_MESSAGE', (_what, value) => {
    expectError(parse(value), ErrorCode.BadMessage, 1);
  });

  it('refuses fields the protocol does not define', () => {
    const message = expectError(parse({ type: 'ping', id: 1, extra: true }), ErrorCode.BadMessage, 1);
    expect(message).toContain('extra');
    expectError(parse({ type: 'leave', id: 2, reason: 'bye' }), ErrorCode.BadMessage, 2);
  });

  it('does not echo the name of an unknown field in full', () => {
    const message = expectError(parse({ type: 'ping', id: 1, ['k'.repeat(30_000)]: true }), ErrorCode.BadMessage, 1);
    expect(message.length).toBeLessThanOrEqual(200);
  });
});

describe('parseClientMessage: request ids', () => {
  it('answers a message without an id with an error that has no id', () => {
    expectError(parse({ type: 'ping' }), ErrorCode.BadMessage, undefined);
  });

  it.each([
    ['a string', '1'],
    ['negative', -1],
    ['fractional', 1.5],
    ['above the safe integer range', Number.MAX_SAFE_INTEGER + 2],
    ['null', null],
  ])('treats an id that is %s as unreadable', (_what, id) => {
    expectError(parse({ type: 'ping', id }), ErrorCode.BadMessage, undefined);
  });

  it('keeps a readable id even when the rest of the message is wrong', () => {
    expectError(parse({ type: 'mute', id: 12, kind: 'audio' }), ErrorCode.BadMessage, 12);
  });
});
