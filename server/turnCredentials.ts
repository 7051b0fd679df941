// Short-lived TURN credentials from a secret shared with the TURN server (the "TURN REST
// API" scheme coturn implements with --use-auth-secret): nothing is stored per user, and
// a leaked credential stops working at its expiry.
import { createHmac } from 'node:crypto';
import type { IceServer } from '../signaling/protocol.js';

export interface TurnSettings {
  secret: string;
  urls: string[];
  ttlSeconds: number;
}

/**
 * username = `${expiryUnixSeconds}:${identity}`, credential = base64(HMAC-SHA1(secret, username)).
 * The TURN server recomputes the credential from the username and refuses it after the expiry.
 */
export function turnCredential(secret: string, identity: string, expiryUnixSeconds: number): { username: string; credential: string } {
  const username = `${expiryUnixSeconds}:${identity}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The TURN servers a joining identity may use, valid for `ttlSeconds` from `nowMs`. */
export function turnIceServers(settings: TurnSettings, identity: string, nowMs: number = Date.now()): IceServer[] {
  const expiry = Math.floor(nowMs / 1000) + settings.ttlSeconds;
  return [{ urls: [...settings.urls], ...turnCredential(settings.secret, identity, expiry) }];
}
