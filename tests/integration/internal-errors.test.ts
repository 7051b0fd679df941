// Errors the server contains instead of dying are counted where operators look, and a log
// reader that goes away (an EPIPE on stdout) costs the logs, not the process.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom } from '../helpers/wsClient.js';

let server: ServerHandle | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('internal errors', () => {
  it('/metrics has rtc_internal_errors_total for every source, at zero on a healthy server', async () => {
    server = await startServer();
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(body).toContain('# TYPE rtc_internal_errors_total counter');
    for (const source of ['uncaught_exception', 'unhandled_rejection', 'media', 'signaling']) {
      expect(body).toContain(`rtc_internal_errors_total{source="${source}"} 0`);
    }
  });

  it('the server goes on serving after the reader of its stdout went away (EPIPE)', async () => {
    const running = (server = await startServer());
    // Closing our end of the pipe makes the server's next log line fail with EPIPE.
    running.process.stdout!.destroy();
    const clients = new ClientPool(() => running.wsUrl);
    try {
      for (let i = 0; i < 3; i++) {
        const room = freshRoom('epipe');
        // Each join and leave is a log line on the broken pipe.
        const { client } = await clients.joined(signedToken({ room, name: `Ada ${i}` }), room);
        await client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      expect(running.process.exitCode).toBeNull();
    } finally {
      clients.dropAll();
    }
  });
});
