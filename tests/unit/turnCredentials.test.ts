// TURN REST credentials: the TURN server recomputes the same HMAC from the username, so
// the derivation must match it bit for bit. The vector was computed outside this code:
//   echo -n "1700003600:alice" | openssl dgst -sha1 -hmac "north-wind-shared-secret" -binary | base64
import { describe, expect, it } from 'vitest';
import { turnCredential, turnIceServers } from '../../server/turnCredentials.js';

describe('TURN credentials from a shared secret', () => {
  it('derives base64(HMAC-SHA1(secret, "expiry:identity")) as openssl does', () => {
    expect(turnCredential('north-wind-shared-secret', 'alice', 1_700_003_600)).toEqual({
      username: '1700003600:alice',
      credential: 'zUvLbar0WZnqRyDP/ajHg/diu0E=',
    });
  });

  it('gives a joining identity the configured URLs with credentials that expire after the TTL', () => {
    const servers = turnIceServers(
      { secret: 'north-wind-shared-secret', urls: ['turn:127.0.0.1:3478?transport=tcp'], ttlSeconds: 3600 },
      'alice',
      1_700_000_000_500,
    );
    expect(servers).toEqual([{ urls: ['turn:127.0.0.1:3478?transport=tcp'], username: '1700003600:alice', credential: 'zUvLbar0WZnqRyDP/ajHg/diu0E=' }]);
  });
});
