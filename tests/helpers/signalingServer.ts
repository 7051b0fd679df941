// One real server process per test file, and the clients each test opens on it: the
// server starts before the file's first test and stops after its last; clients a test
// left open are dropped after it.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startServer, type ServerHandle } from './serverProcess.js';
import { ClientPool } from './wsClient.js';

export interface SignalingFixture {
  /** The running server; valid inside tests and hooks. */
  readonly server: ServerHandle;
  readonly clients: ClientPool;
}

export function useSignalingServer(env: Record<string, string> = {}): SignalingFixture {
  let server: ServerHandle | undefined;
  const running = (): ServerHandle => {
    if (!server) throw new Error('the server is not running (used outside a test?)');
    return server;
  };
  const clients = new ClientPool(() => running().wsUrl);
  beforeAll(async () => {
    server = await startServer(env);
  });
  afterEach(() => clients.dropAll());
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      return running();
    },
    clients,
  };
}
