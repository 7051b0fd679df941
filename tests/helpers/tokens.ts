// Tokens as an application backend would sign them with the server's secret, for the
// cases the development endpoint cannot produce: a fixed identity, a past expiry.
import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './serverProcess.js';

export interface TokenInput {
  room: string;
  name?: string;
  identity?: string;
  grants?: { publish: boolean; subscribe: boolean; admin?: boolean };
  /** Seconds since the epoch; ten minutes from now unless given. */
  exp?: number;
  secret?: string;
}

export function signedToken(input: TokenInput): string {
  const payload = {
    sub: input.identity ?? `user-${Math.random().toString(36).slice(2)}`,
    name: input.name ?? 'Test',
    room: input.room,
    grants: input.grants ?? { publish: true, subscribe: true },
    exp: input.exp ?? Math.floor(Date.now() / 1000) + 600,
  };
  return jwt.sign(payload, input.secret ?? TEST_JWT_SECRET, { algorithm: 'HS256' });
}
