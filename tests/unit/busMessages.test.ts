// Bus payloads are signed with a key derived from the cluster's JWT secret and read
// against a schema: nothing else is acted on.
import { describe, expect, it } from 'vitest';
import { BusCodec, type BusMessage } from '../../signaling/cluster/busMessages.js';

const codec = new BusCodec('bus-test-secret-that-is-at-least-32-characters');
const request: BusMessage = { t: 'req', id: 'r1', from: 'node-1', body: { op: 'mute', ref: { room: 'demo', participantId: 'p1' }, kind: 'audio', muted: true } };

describe('BusCodec', () => {
  it('reads back what it signed', () => {
    expect(codec.decode(codec.encode(request))).toEqual({ ok: true, message: request });
  });

  it('never puts the secret itself in a payload', () => {
    expect(codec.encode(request)).not.toContain('bus-test-secret');
  });

  it('drops unsigned, tampered and foreign-signed payloads as signature failures', () => {
    const signed = codec.encode(request);
    const other = new BusCodec('another-secret-that-is-at-least-32-characters');
    for (const payload of [JSON.stringify(request), signed.replace('"muted":true', '"muted":false'), other.encode(request), 'v1..{}', '', 'v2.abc.{}']) {
      expect(codec.decode(payload)).toMatchObject({ ok: false, reason: 'signature' });
    }
  });

  it('drops a signed message of the wrong shape, with a short description', () => {
    const wrong = { ...request, body: { op: 'impair', ref: { room: 'demo', participantId: 'p1' }, settings: { lossPercent: 1000, delayMs: 0, jitterMs: 0, kind: 'all' } } };
    const decoded = codec.decode(codec.encode(wrong as unknown as BusMessage));
    expect(decoded).toMatchObject({ ok: false, reason: 'schema' });
    if (!decoded.ok) expect(decoded.detail).toMatch(/lossPercent/);
    const extraField = codec.decode(codec.encode({ ...request, admin: true } as unknown as BusMessage));
    expect(extraField).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('acts on a payload once: the same payload published again is a replay', () => {
    const reader = new BusCodec('bus-test-secret-that-is-at-least-32-characters');
    const payload = codec.encode(request);
    expect(reader.decode(payload)).toMatchObject({ ok: true });
    expect(reader.decode(payload)).toMatchObject({ ok: false, reason: 'replay', detail: 'nonce already seen' });
    // Two payloads of the same message are two messages.
    expect(reader.decode(codec.encode(request))).toMatchObject({ ok: true });
  });

  it('refuses a payload stamped outside the replay window, and forgets nonces once they are past it', () => {
    let now = 1_000_000;
    const clock = (): number => now;
    const writer = new BusCodec('bus-test-secret-that-is-at-least-32-characters', { now: clock });
    const reader = new BusCodec('bus-test-secret-that-is-at-least-32-characters', { now: clock, replayWindowMs: 10_000 });
    const old = writer.encode(request);
    now += 10_001;
    expect(reader.decode(old)).toMatchObject({ ok: false, reason: 'replay' });
    const early = writer.encode(request);
    now -= 10_001;
    // A clock 10 s ahead is as suspect as one behind.
    expect(reader.decode(early)).toMatchObject({ ok: false, reason: 'replay' });
    for (let i = 0; i < 50; i++) expect(reader.decode(writer.encode(request))).toMatchObject({ ok: true });
    now += 20_000;
    expect(reader.decode(writer.encode(request))).toMatchObject({ ok: true });
  });

  it('remembers at most maxNonces nonces within the window, refusing past it', () => {
    const reader = new BusCodec('bus-test-secret-that-is-at-least-32-characters', { maxNonces: 3 });
    for (let i = 0; i < 3; i++) expect(reader.decode(codec.encode(request))).toMatchObject({ ok: true });
    expect(reader.decode(codec.encode(request))).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('keeps the owner’s error code, whichever the protocol has, and refuses one it does not', () => {
    for (const code of ['FORBIDDEN', 'TRACK_LIMIT', 'SERVICE_DEGRADED', 'PUBLISH_IN_PROGRESS'] as const) {
      const res: BusMessage = { t: 'res', id: 'r1', ok: false, error: 'refused', gone: false, code };
      expect(codec.decode(codec.encode(res))).toEqual({ ok: true, message: res });
    }
    const made = { t: 'res', id: 'r1', ok: false, error: 'refused', gone: false, code: 'MADE_UP' } as unknown as BusMessage;
    expect(codec.decode(codec.encode(made))).toMatchObject({ ok: false, reason: 'schema' });
  });
});
