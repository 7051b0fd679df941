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
});

export type TokenRefusal = { code: typeof CloseCode.TokenInvalid | typeof CloseCode.TokenExpired | typeof CloseCode.RoomMismatch; reason: string };

export class TokenIssuer {
  /**
   * The secret as a key object, made once: handed a string, jsonwebtoken first tries to
   * read it as a public key on every verify, which cost 0.5-2 ms per join (the largest
   * single cost in the signaling benchmark's profile).
   */
  private readonly secret: KeyObject;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
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
    });
  }

  /** Verifies a token for a room; never throws. */
  verify(token: string, room: string): { ok: true; claims: TokenClaims } | { ok: false; refusal: TokenRefusal } {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) {
        return { ok: false, refusal: { code: CloseCode.TokenExpired, reason: 'token expired' } };
      }
      return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token invalid' } };
    }
    const claims = claimsSchema.safeParse(decoded);
    if (!claims.success) {
      return { ok: false, refusal: { code: CloseCode.TokenInvalid, reason: 'token claims invalid' } };
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
