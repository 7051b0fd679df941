// Real server processes for a test file, and the clients each test opens on them: the
// servers start before the file's first test and stop after its last; clients a test left
// open are dropped after it. Two deployment shapes run the same scenarios: one node with
// in-memory state, or three nodes sharing a real Redis, with each new client connecting
// to the next node in turn (so people in one room sit on different nodes).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startCluster, type ClusterHandle } from './cluster.js';
import { startServer, type ServerHandle } from './serverProcess.js';
import { ClientPool } from './wsClient.js';

export type Shape = 'one node' | 'three nodes on Redis';
export const SHAPES: readonly Shape[] = ['one node', 'three nodes on Redis'];

export interface SignalingFixture {
  /** The running server; valid inside tests and hooks. */
  readonly server: ServerHandle;
  readonly clients: ClientPool;
}

export function useSignalingServer(env: Record<string, string> = {}, shape: Shape = 'one node'): SignalingFixture {
  let server: ServerHandle | undefined;
  let cluster: ClusterHandle | undefined;
  let turn = 0;
  const running = (): ServerHandle => {
    if (!server) throw new Error('the server is not running (used outside a test?)');
    return server;
  };
  const clients = new ClientPool(() => (cluster ? cluster.nodes[turn++ % cluster.nodes.length]!.wsUrl : running().wsUrl));
  beforeAll(async () => {
    if (shape === 'one node') {
      server = await startServer(env);
    } else {
      cluster = await startCluster(3, env);
      server = cluster.nodes[0];
    }
  });
  afterEach(() => clients.dropAll());
  afterAll(async () => {
    await (cluster ? cluster.stop() : server?.stop());
  });
  return {
    get server() {
      return running();
    },
    clients,
  };
}
