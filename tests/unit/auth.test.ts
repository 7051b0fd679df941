// Participant tokens: what the server lets into a room, and the close code it gives
// everything else.
import { describe, it, expect, vi, afterEach } from 'vitest';
import jwt from 'jsonwebtoken';
import { TokenIssuer, type TokenRefusal } from '../../signaling/auth.js';
import { CloseCode } from '../../signaling/protocol.js';

const SECRET = 'unit-test-secret-that-is-at-least-32-characters';
const issuer = new TokenIssuer(SECRET, 3600);

const validClaims = { name: 'Ada', room: 'demo', grants: { publish: true, subscribe: true } };

const inTenMinutes = (): number => Math.floor(Date.now() / 1000) + 600;

/** Signs claims the way another backend would; a claim set to undefined is left out. */
function sign(claims: Record<string, unknown>, { algorithm = 'HS256', secret = SECRET }: { algorithm?: jwt.Algorithm; secret?: string } = {}): string {
  const payload = Object.fromEntries(Object.entries({ sub: 'user-1', exp: inTenMinutes(), ...claims }).filter(([, v]) => v !== undefined));
  return jwt.sign(payload, secret, { algorithm });
}

function refusal(token: string, room = 'demo'): TokenRefusal {
  const verdict = issuer.verify(token, room);
  if (verdict.ok) throw new Error(`expected a refusal, got claims ${JSON.stringify(verdict.claims)}`);
  return verdict.refusal;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenIssuer: tokens it lets in', () => {
  it('turns an issued token back into identity, name, room, grants and expiry', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = issuer.issue({ room: 'demo', name: 'Ada', identity: 'ada-1' });
    const verdict = issuer.verify(token, 'demo');
    expect(verdict).toEqual({
      ok: true,
      claims: { identity: 'ada-1', name: 'Ada', room: 'demo', grants: { publish: true, subscribe: true, admin: false }, expiresAt: expect.any(Number) },
    });
    if (!verdict.ok) return;
    expect(verdict.claims.expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(verdict.claims.expiresAt).toBeLessThanOrEqual(before + 3601);
  });

  it('gives every token without an identity a fresh one', () => {
    const a = issuer.verify(issuer.issue({ room: 'demo', name: 'Ada' }), 'demo');
    const b = issuer.verify(issuer.issue({ room: 'demo', name: 'Ada' }), 'demo');
    expect(a.ok && b.ok && a.claims.identity !== b.claims.identity).toBe(true);
  });

  it('carries a receive-only grant through to the claims', () => {
    const verdict = issuer.verify(issuer.issue({ room: 'demo', name: 'Viewer', grants: { publish: false } }), 'demo');
    expect(verdict.ok && verdict.claims.grants).toEqual({ publish: false, subscribe: true, admin: false });
  });

  it('accepts a token signed elsewhere with the shared secret and HS256', () => {
    const verdict = issuer.verify(sign(validClaims), 'demo');
    expect(verdict.ok && verdict.claims.identity).toBe('user-1');
  });
});

describe('TokenIssuer: expiry', () => {
  it('refuses a token whose exp is in the past with 4003', () => {
    const token = sign({ ...validClaims, exp: Math.floor(Date.now() / 1000) - 60 });
    expect(refusal(token).code).toBe(CloseCode.TokenExpired);
  });

  it('lets a short-lived token in until its lifetime is over, and not after', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const token = issuer.issue({ room: 'demo', name: 'Ada', ttlSeconds: 10 });
    vi.advanceTimersByTime(9_000);
    expect(issuer.verify(token, 'demo').ok).toBe(true);
    vi.advanceTimersByTime(2_000);
    expect(refusal(token)).toEqual({ code: CloseCode.TokenExpired, reason: 'token expired' });
  });

  it('refuses a token that never expires', () => {
    const token = sign({ ...validClaims, exp: undefined });
    expect(refusal(token).code).toBe(CloseCode.TokenInvalid);
  });
});

describe('TokenIssuer: forged and foreign tokens', () => {
  it('refuses a token signed with another secret with 4002', () => {
    const token = sign(validClaims, { secret: 'another-secret-that-is-at-least-32-characters' });
    expect(refusal(token)).toEqual({ code: CloseCode.TokenInvalid, reason: 'token invalid' });
  });

  it('refuses an unsigned token (alg none) even when its claims are perfect', () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...validClaims, sub: 'user-1', exp: inTenMinutes() })}.`;
    expect(refusal(token).code).toBe(CloseCode.TokenInvalid);
  });

  it('refuses HS512 signed with the right secret: the algorithm is pinned to HS256', () => {
    const token = sign(validClaims, { algorithm: 'HS512' });
    expect(refusal(token).code).toBe(CloseCode.TokenInvalid);
  });

  it.each([['not-a-jwt'], ['a.b.c'], ['']])('refuses the garbage token %j with 4002', (token) => {
    expect(refusal(token).code).toBe(CloseCode.TokenInvalid);
  });

  it('refuses a valid token for another room with 4004', () => {
    const token = issuer.issue({ room: 'other', name: 'Ada' });
    expect(refusal(token, 'demo')).toEqual({ code: CloseCode.RoomMismatch, reason: 'token is for another room' });
  });
});

describe('TokenIssuer: claims it does not trust', () => {
  it.each([
    ['no subject', { ...validClaims, sub: undefined }],
    ['no grants', { ...validClaims, grants: undefined }],
    ['a grant that is not a boolean', { ...validClaims, grants: { publish: 'yes', subscribe: true } }],
    ['an empty name', { ...validClaims, name: '   ' }],
    ['a name with control characters', { ...validClaims, name: 'Ada\u0007' }],
    ['a name longer than 40 characters', { ...validClaims, name: 'A'.repeat(41) }],
    ['a room with a slash', { ...validClaims, room: 'demo/../admin' }],
  ])('refuses a token with %s as invalid claims (4002)', (_what, claims) => {
    expect(refusal(sign(claims), claims.room)).toEqual({
      code: CloseCode.TokenInvalid,
      reason: 'token claims invalid',
    });
  });
});

describe('TokenIssuer: audience and issuer, when configured', () => {
  const strict = new TokenIssuer(SECRET, 3600, { audience: 'rtc-sfu', issuer: 'https://app.example' });

  it('puts aud and iss on the tokens it issues and lets them in', () => {
    const token = strict.issue({ room: 'demo', name: 'Ada' });
    expect(jwt.decode(token)).toMatchObject({ aud: 'rtc-sfu', iss: 'https://app.example' });
    expect(strict.verify(token, 'demo').ok).toBe(true);
  });

  it('accepts a backend token with the expected aud and iss', () => {
    expect(strict.verify(sign({ ...validClaims, aud: 'rtc-sfu', iss: 'https://app.example' }), 'demo').ok).toBe(true);
  });

  it.each([
    ['no aud', { iss: 'https://app.example' }, 'token audience invalid'],
    ['another aud', { aud: 'other-service', iss: 'https://app.example' }, 'token audience invalid'],
    ['no iss', { aud: 'rtc-sfu' }, 'token issuer invalid'],
    ['another iss', { aud: 'rtc-sfu', iss: 'https://evil.example' }, 'token issuer invalid'],
  ])('refuses a token with %s (4002)', (_what, claims, reason) => {
    expect(strict.verify(sign({ ...validClaims, ...claims }), 'demo')).toEqual({ ok: false, refusal: { code: CloseCode.TokenInvalid, reason } });
  });

  it('does not look at aud and iss when they are not configured', () => {
    expect(issuer.verify(sign({ ...validClaims, aud: 'anything', iss: 'anyone' }), 'demo').ok).toBe(true);
  });
});

describe('TokenIssuer: maximum lifetime', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  const oneHour = new TokenIssuer(SECRET, 600, { maxLifetimeSeconds: 3600 });

  it('refuses a token that expires in the year 9999 (default limit: one day)', () => {
    const token = sign({ ...validClaims, exp: 253_402_300_799 });
    expect(refusal(token)).toEqual({ code: CloseCode.TokenInvalid, reason: 'token lifetime too long' });
  });

  it('lets in a token of exactly the maximum lifetime, and refuses one beyond it (plus the clock skew)', () => {
    const iat = now();
    expect(oneHour.verify(sign({ ...validClaims, iat, exp: iat + 3600 }), 'demo').ok).toBe(true);
    expect(oneHour.verify(sign({ ...validClaims, iat, exp: iat + 3600 + 31 }), 'demo')).toEqual({
      ok: false,
      refusal: { code: CloseCode.TokenInvalid, reason: 'token lifetime too long' },
    });
  });

  it('counts from now when the token has no iat', () => {
    const token = jwt.sign({ ...validClaims, sub: 'u', exp: now() + 7200 }, SECRET, { algorithm: 'HS256', noTimestamp: true });
    expect(oneHour.verify(token, 'demo').ok).toBe(false);
    const short = jwt.sign({ ...validClaims, sub: 'u', exp: now() + 1800 }, SECRET, { algorithm: 'HS256', noTimestamp: true });
    expect(oneHour.verify(short, 'demo').ok).toBe(true);
  });

  it('is not fooled by an iat in the future', () => {
    const token = sign({ ...validClaims, iat: now() + 100_000, exp: now() + 100_600 });
    expect(oneHour.verify(token, 'demo')).toEqual({ ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token lifetime too long' } });
  });
});
