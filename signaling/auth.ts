// Participant tokens: HS256 JWTs that carry identity, display name, room, grants and
// expiry. The algorithm is pinned on verify so a token cannot choose its own.
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { CloseCode } from './protocol.js';

export interface Grants {
  publish: boolean;
  subscribe: boolean;
  /** May change the room's controlled impairment (demonstrations and tests). */
  admin: boolean;
}

export interface TokenClaims {
  /** Stable identity of the participant; a second socket with the same one replaces the first. */
  identity: string;
  name: string;
  room: string;
  grants: Grants;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export const roomName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, "-", "_" and "." only');
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

const claimsSchema = z.object({
  sub: z.string().min(1).max(128),
  name: displayName,
  room: roomName,
  grants: z.object({ publish: z.boolean(), subscribe: z.boolean(), admin: z.boolean().default(false) }),
  exp: z.number().int(),
  iat: z.number().int().optional(),
});

/** Longest a token may live (exp - iat) unless JWT_MAX_LIFETIME_SECONDS says otherwise: one day. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** Clock skew allowed between the backend that signs tokens and this server. */
export const TOKEN_CLOCK_SKEW_SECONDS = 30;

/** What a token must say beyond its signature: who it is for, who signed it, how long it may live. */
export interface TokenPolicy {
  /** `aud` put on issued tokens and required on verified ones (JWT_AUDIENCE). */
  audience?: string;
  /** `iss` put on issued tokens and required on verified ones (JWT_ISSUER). */
  issuer?: string;
  /** Tokens living longer than this (exp - iat, or exp - now without iat) are invalid. */
  maxLifetimeSeconds?: number;
}

export type TokenRefusal = { code: typeof CloseCode.TokenInvalid | typeof CloseCode.TokenExpired | typeof CloseCode.RoomMismatch; reason: string };

export class TokenIssuer {
  /**
   * The secret as a key object, made once: handed a string, jsonwebtoken first tries to
   * read it as a public key on every verify, which cost 0.5-2 ms per join (the largest
   * single cost in the signaling benchmark's profile).
   */
  private readonly secret: KeyObject;

  private readonly maxLifetimeSeconds: number;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly policy: TokenPolicy = {},
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
    this.maxLifetimeSeconds = policy.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  }

  issue(input: { room: string; name: string; identity?: string; grants?: Partial<Grants>; ttlSeconds?: number }): string {
    const payload = {
      name: input.name,
      room: input.room,
      grants: {
        publish: input.grants?.publish ?? true,
        subscribe: input.grants?.subscribe ?? true,
        admin: input.grants?.admin ?? false,
      },
    };
    return jwt.sign(payload, this.secret, {
      algorithm: 'HS256',
      subject: input.identity ?? randomUUID(),
      expiresIn: input.ttlSeconds ?? this.ttlSeconds,
      ...(this.policy.audience !== undefined ? { audience: this.policy.audience } : {}),
      ...(this.policy.issuer !== undefined ? { issuer: this.policy.issuer } : {}),
    });
  }

  /** Verifies a token for a room; never throws. */
  verify(token: string, room: string): { ok: true; claims: TokenClaims } | { ok: false; refusal: TokenRefusal } {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.secret, {
        algorithms: ['HS256'],
        ...(this.policy.audience !== undefined ? { audience: this.policy.audience } : {}),
        ...(this.policy.issuer !== undefined ? { issuer: this.policy.issuer } : {}),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) {
        return { ok: false, refusal: { code: CloseCode.TokenExpired, reason: 'token expired' } };
      }
      // jsonwebtoken's messages for these two are "jwt audience invalid. expected: …" and "jwt issuer invalid. …".
      const message = err instanceof Error ? err.message : '';
      if (message.startsWith('jwt audience invalid')) return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token audience invalid' } };
      if (message.startsWith('jwt issuer invalid')) return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token issuer invalid' } };
      return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token invalid' } };
    }
    const claims = claimsSchema.safeParse(decoded);
    if (!claims.success) {
      return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token claims invalid' } };
    }
    // An iat in the future does not shorten the lifetime: it counts from now then.
    const now = Math.floor(Date.now() / 1000);
    const lifetime = claims.data.exp - Math.min(claims.data.iat ?? now, now);
    if (lifetime > this.maxLifetimeSeconds + TOKEN_CLOCK_SKEW_SECONDS) {
      return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token lifetime too long' } };
    }
    if (claims.data.room !== room) {
      return { ok: false, refusal: { code: CloseCode.RoomMismatch, reason: 'token is for another room' } };
    }
    return {
      ok: true,
      claims: {
        identity: claims.data.sub,
        name: claims.data.name,
        room: claims.data.room,
        grants: claims.data.grants,
        expiresAt: claims.data.exp,
      },
    };
  }
}
