// A stop signal to the whole process group (Ctrl-C in a terminal, a container runtime
// that signals every process) reaches mediasoup's workers as well as Node. mediasoup
// closes its workers on SIGTERM/SIGINT, and a worker may die of the signal before Node
// has begun its drain: neither is a crash, so participants must hear the drain (4011),
// not "the room moved" (4012) as after a worker crash.
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { CloseCode } from '../../signaling/protocol.js';
import { engineEnv } from '../helpers/engines.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { TestClient, within } from '../helpers/wsClient.js';
import { waitFor } from '../e2e/callPage.js';

const DRAIN_MS = 2_000;
const offer = readFileSync(new URL('../unit/fixtures/chromium-offer.sdp', import.meta.url), 'utf8');

let server: ServerHandle | undefined;

afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

it.each(['SIGTERM', 'SIGINT'] as const)('%s to the process group of a mediasoup server: the joined participant is drained with 4011, not moved with 4012', async (signal) => {
  server = await startServer({ ...engineEnv('mediasoup'), MEDIASOUP_WORKERS: '1', SHUTDOWN_DRAIN_MS: String(DRAIN_MS) }, { processGroup: true });
  const client = await TestClient.connect(server.wsUrl);
  const joined = await client.request({ type: 'join', token: signedToken({ room: 'stop-signal' }), room: 'stop-signal' });
  expect(joined.ok).toBe(true);
  // The answer means the room's router, transport and producers exist on the worker.
  const published = await client.request({ type: 'publish', sdp: offer });
  expect(published.ok, JSON.stringify(published)).toBe(true);

  const pgid = server.process.pid!;
  process.kill(-pgid, signal);
  const closed = await within(client.closed, DRAIN_MS + 5_000, 'the socket closing');
  const exitCode = await within(server.stop(), DRAIN_MS + 5_000, 'the server exiting');

  expect(closed.code, `${closed.code} ${closed.reason}\n${server.logs.join('\n')}`).toBe(CloseCode.Draining);
  expect(server.logs.some((l) => l.includes('"media room lost"')), server.logs.join('\n')).toBe(false);
  expect(exitCode).toBe(0);
});

it('SIGTERM to a worker alone is a crash: its room moves (4012) and the worker is replaced', async () => {
  server = await startServer({ ...engineEnv('mediasoup'), MEDIASOUP_WORKERS: '1' }, { processGroup: true });
  const client = await TestClient.connect(server.wsUrl);
  const joined = await client.request({ type: 'join', token: signedToken({ room: 'worker-term' }), room: 'worker-term' });
  expect(joined.ok).toBe(true);
  expect((await client.request({ type: 'publish', sdp: offer })).ok).toBe(true);
  const started = server.logs.filter((l) => l.includes('"mediasoup worker started"')).map((l) => (JSON.parse(l) as { pid: number }).pid);
  expect(started).toHaveLength(1);

  process.kill(started[0]!, 'SIGTERM');
  const closed = await within(client.closed, 5_000, 'the socket closing');
  expect(closed.code, server.logs.join('\n')).toBe(CloseCode.RoomMoved);
  const logs = server.logs;
  await waitFor(() => logs.filter((l) => l.includes('"mediasoup worker started"')).length === 2, 5_000, 'a replacement worker');
  expect(server.process.exitCode).toBeNull();
});
