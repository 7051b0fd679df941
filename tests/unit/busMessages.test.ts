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

  it('keeps an owner error code for a refused grant', () => {
    const res: BusMessage = { t: 'res', id: 'r1', ok: false, error: 'token has no admin grant', gone: false, code: 'FORBIDDEN' };
    expect(codec.decode(codec.encode(res))).toEqual({ ok: true, message: res });
  });
});
