// Participant tokens for the generator: minted locally with the server's secret (HS256,
// the claims of signaling/auth.ts), or fetched from the development endpoint
// POST /api/token on the same host. Both happen before the measured schedule starts.
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnreachableError, unreachableMessage } from './reachability.js';

export interface TokenRequest {
  identity: string;
  name: string;
  room: string;
}

export type TokenSource = (requests: readonly TokenRequest[]) => Promise<string[]>;

/** Tokens signed here with the server's JWT_SECRET; valid for `ttlSeconds`. */
export function mintedTokens(secret: string, ttlSeconds = 6 * 3600): TokenSource {
  // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
  // PEM key and fails, which costs about 2 ms per token instead of 20 us.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return async (requests) => {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    return requests.map((r) =>
      jwt.sign({ sub: r.identity, name: r.name, room: r.room, grants: { publish: true, subscribe: true, admin: false }, exp }, key, { algorithm: 'HS256' }),
    );
  };
}

/** The development token endpoint of the server behind a ws(s):// URL. */
export function tokenEndpoint(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/api/token';
  url.search = '';
  return url.toString();
}

/** Tokens from POST /api/token (each with a fresh identity the server picks), a few requests at a time. */
export function endpointTokens(wsUrl: string, concurrency = 16): TokenSource {
  const endpoint = tokenEndpoint(wsUrl);
  return async (requests) => {
    const tokens: string[] = new Array<string>(requests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        const r = requests[i]!;
        const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room: r.room, name: r.name }) }).catch((err: unknown) => {
          // fetch says only "fetch failed"; the reason (ECONNREFUSED, ...) is in its cause.
          const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
          throw new UnreachableError(unreachableMessage(endpoint, typeof cause?.code === 'string' ? cause.code : 'ERROR'), typeof cause?.code === 'string' ? cause.code : 'ERROR');
        });
        if (!res.ok) throw new Error(`token endpoint ${endpoint} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
        tokens[i] = ((await res.json()) as { token: string }).token;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
    return tokens;
  };
}
