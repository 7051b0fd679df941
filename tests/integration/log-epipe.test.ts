// A server whose log reader went away (the collector died, `npm start | head` finished)
// keeps serving: writes to the closed stdout or stderr pipe fail with EPIPE, which ends the
// logging, not the process.
import { once } from 'node:events';
import path from 'node:path';
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

describe('a closed stderr', () => {
  it('the process survives Node writing a warning of its own to its closed stderr pipe, and keeps serving calls', async () => {
    const preload = path.resolve('tests/integration/fixtures/warnOnSignal.mjs');
    const warned = await startServer({}, { nodeArgs: ['--import', preload] });
    try {
      warned.process.stderr!.destroy();
      for (let i = 1; i <= 3; i++) {
        const written = waitForLogLine(warned, 'test-warning-written', i);
        warned.process.kill('SIGUSR2');
        await written;
      }
      // Without a watcher on stderr each EPIPE is an uncaught exception: counted, then the node drains and exits.
      const metrics = await (await fetch(`${warned.url}/metrics`)).text();
      expect(metrics).toContain('rtc_internal_errors_total{source="uncaught_exception"} 0');
      const clients = new ClientPool(() => warned.wsUrl);
      try {
        const room = freshRoom('stderr-epipe');
        const { client } = await clients.joined(signedToken({ room }), room);
        await client.request({ type: 'leave' });
      } finally {
        clients.dropAll();
      }
      expect(warned.process.exitCode).toBeNull();
    } finally {
      await warned.stop();
    }
  });
});

/** Resolves once the server has printed `text` on `count` lines in all. */
async function waitForLogLine(handle: ServerHandle, text: string, count: number): Promise<void> {
  const seen = (): number => handle.logs.filter((line) => line.includes(text)).length;
  while (seen() < count) {
    const [exited] = await Promise.race([once(handle.process.stdout!, 'data').then(() => [false]), once(handle.process, 'exit').then(() => [true])]);
    if (exited) throw new Error(`server exited before printing ${text}:\n${handle.logs.join('\n')}`);
  }
}
