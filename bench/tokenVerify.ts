// What a join costs in token verification: our TokenIssuer.verify (the server's code)
// against jsonwebtoken's verify given a KeyObject. Given the secret as a string,
// jsonwebtoken first tries createPublicKey() on it, which throws, and that costs most of
// a join; the profile of bench:signaling shows it as createPublicKey.
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenIssuer } from '../signaling/auth.js';

export interface TokenVerifyCost {
  /** Microseconds per TokenIssuer.verify call. */
  oursUs: number;
  /** Microseconds per jwt.verify with the same secret as a KeyObject. */
  keyObjectUs: number;
}

export function measureTokenVerify(iterations = 400): TokenVerifyCost {
  const secret = 'bench-secret-that-is-at-least-32-characters';
  const issuer = new TokenIssuer(secret, 600);
  const token = issuer.issue({ room: 'bench', name: 'Bench' });
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const time = (fn: () => void): number => {
    for (let i = 0; i < 50; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    return ((performance.now() - t0) / iterations) * 1000;
  };
  return {
    oursUs: time(() => {
      if (!issuer.verify(token, 'bench').ok) throw new Error('token refused');
    }),
    keyObjectUs: time(() => jwt.verify(token, key, { algorithms: ['HS256'] })),
  };
}
