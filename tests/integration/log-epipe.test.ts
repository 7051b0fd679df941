// A server whose log reader went away (the collector died, `npm start | head` finished)
// keeps serving: writes to the closed stdout pipe fail with EPIPE, which ends the logging,
// not the process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken, startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom } from '../helpers/wsClient.js';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'debug' });
});
afterAll(async () => {
  await server?.stop();
});

describe('logging to a closed stdout', () => {
  it('the process survives its stdout pipe closing, and keeps serving calls', async () => {
    // Close our (the reader's) end of the server's stdout pipe.
    server.process.stdout!.destroy();
    const clients = new ClientPool(() => server.wsUrl);
    try {
      // Every join and leave writes log lines into the broken pipe.
      for (let i = 0; i < 20; i++) {
        const room = freshRoom('epipe');
        const { client } = await clients.joined(signedToken({ room }), room);
        await client.request({ type: 'leave' });
        await client.closed;
      }
      // Refused joins log at warn: more writes.
      const refused = await clients.connect();
      await refused.request({ type: 'join', token: 'not-a-token', room: 'x' });
      await refused.closed;
    } finally {
      clients.dropAll();
    }
    expect(server.process.exitCode).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await devToken(server.url, 'after-epipe', 'Ada')).toEqual(expect.any(String));
    expect(server.process.exitCode).toBeNull();
  });
});
