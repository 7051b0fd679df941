// The image's contents, run: the Dockerfile's build stage is carried out as written in a
// temporary folder (npm ci, the build, the prune), the runtime stage's files are copied
// out of it, and its ENTRYPOINT + CMD (tini, node dist/main.js) start with the image's
// ENV and production settings. This proves the bundle runs on production dependencies
// alone, without a container engine; see support/localImage.ts for what differs.
import { randomBytes } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signedToken } from '../helpers/tokens.js';
import { freePort } from '../helpers/serverProcess.js';
import { TestClient, within } from '../helpers/wsClient.js';
import { healthcheck, instructions, readDockerfile, stage } from './support/dockerfile.js';
import { baseEnv, buildLocalImage, processesIn, RUNTIME_STAGE, startContainer, type LocalImage } from './support/localImage.js';
import { requireCommand } from './support/tools.js';

const JWT_SECRET = randomBytes(32).toString('base64url');
const SHUTDOWN_DRAIN_MS = 3_000;
/** Close codes a participant may see when its server stops: going away, or draining (scale-out). */
const SHUTDOWN_CLOSE_CODES = [1001, 4011];

let image: LocalImage;
/** Containers started and not yet stopped, for the file's last word on leftovers. */
const running = new Set<Container>();

interface Container {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  port: number;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts the image's ENTRYPOINT + CMD as `docker run -e ...` would, and waits for /readyz. */
async function run(extraEnv: Record<string, string> = {}): Promise<Container> {
  const port = await freePort();
  const child = startContainer(image, {
    // Production settings: only what an operator must give. No DEV_TOKENS.
    JWT_SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    RTC_LISTEN_IP: '127.0.0.1',
    SHUTDOWN_DRAIN_MS: String(SHUTDOWN_DRAIN_MS),
    // tini is PID 1 in the container; here it is not, and says so unless told to subreap.
    TINI_SUBREAPER: '1',
    ...extraEnv,
  });
  const logs: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  const url = `http://127.0.0.1:${port}`;
  const container: Container = { process: child, url, wsUrl: `ws://127.0.0.1:${port}/ws`, port, logs, exited };
  running.add(container);
  try {
    await ready(container);
  } catch (err) {
    await stop(container);
    throw err;
  }
  return container;
}

/** Waits for /readyz to answer 200. */
async function ready({ process: child, url, logs }: Container): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited with ${child.exitCode ?? child.signalCode}:\n${logs.join('\n')}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the server was not ready within 20 s:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops a container as `docker stop` does: SIGTERM to tini, which forwards it to node;
 * past the drain deadline, SIGKILL to every process in the image folder (tini alone
 * would leave node running, its cwd soon a deleted folder). Resolves when tini has exited.
 */
async function stop(container: Container): Promise<void> {
  const child = container.process;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const stopped = await within(container.exited, SHUTDOWN_DRAIN_MS + 5_000, 'exit after SIGTERM').then(
      () => true,
      () => false,
    );
    if (!stopped) {
      killAll(processesIn(image.appDir));
      await container.exited;
    }
  }
  running.delete(container);
}

/** SIGKILL to each of `pids`; one that has exited meanwhile is no error. */
function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

beforeAll(() => {
  requireCommand('tini', 'apt-get install tini');
  image = buildLocalImage();
});

afterAll(async () => {
  // A container that a failed hook or test left running (each test stops its own).
  for (const container of running) await stop(container);
  if (!image) return;
  // Nothing may outlive the file: node's media workers exit on their own once node is
  // gone, a moment after tini, and no event says so for a process that is not our child.
  const deadline = Date.now() + 5_000;
  let left = processesIn(image.root);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = processesIn(image.root);
  }
  const described = left.map((pid) => `${pid} ${cmdline(pid)}`);
  killAll(left);
  image.remove();
  expect(described, 'processes still running in the image folder').toEqual([]);
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '(exited)';
  }
}

describe('the image, started with production settings', () => {
  let container: Container;

  beforeAll(async () => {
    container = await run();
  });

  afterAll(async () => {
    if (container) await stop(container);
  });

  it('is in production mode, carries media on the mediasoup worker it built, and answers /healthz and /readyz with 200', async () => {
    expect(image.env.NODE_ENV).toBe('production');
    const health = await fetch(`${container.url}/healthz`);
    expect(health.status).toBe(200);
    // Not werift: the build stage put a worker into the image's node_modules.
    expect(await health.json()).toMatchObject({ status: 'ok', mediaEngine: 'mediasoup' });
    expect((await fetch(`${container.url}/readyz`)).status).toBe(200);
  });

  it('serves the call page from the bundle', async () => {
    const page = await fetch(`${container.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('keeps the development token endpoint off (404)', async () => {
    const res = await fetch(`${container.url}/api/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room: 'demo', name: 'Alice' }) });
    expect(res.status).toBe(404);
  });

  it('lets a participant join with a token signed with JWT_SECRET', async () => {
    const client = await TestClient.connect(container.wsUrl);
    try {
      const response = await client.request({ type: 'join', token: signedToken({ room: 'deploy', secret: JWT_SECRET }), room: 'deploy' });
      expect(response.ok, JSON.stringify(response)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('passes its own HEALTHCHECK command', () => {
    const [check] = instructions(stage(readDockerfile().stages, RUNTIME_STAGE), 'HEALTHCHECK');
    const [command, ...args] = healthcheck(check!).command;
    const result = spawnSync(command!, args, { cwd: image.appDir, env: { ...baseEnv(), ...image.env, PORT: String(container.port) }, encoding: 'utf8', timeout: 10_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe('stopping (docker stop sends SIGTERM to tini, PID 1)', () => {
  it(`closes a joined participant's socket with ${SHUTDOWN_CLOSE_CODES.join(' or ')} and exits 0 within SHUTDOWN_DRAIN_MS + 5 s`, async () => {
    const container = await run();
    onTestFinished(() => stop(container));
    const client = await TestClient.connect(container.wsUrl);
    const joined = await client.request({ type: 'join', token: signedToken({ room: 'stop', secret: JWT_SECRET }), room: 'stop' });
    expect(joined.ok).toBe(true);

    const sentAt = Date.now();
    container.process.kill('SIGTERM');
    const exit = await within(container.exited, SHUTDOWN_DRAIN_MS + 5_000, 'exit after SIGTERM');
    // A close code (not 1006) means the server sent the close frame: it did so before exiting.
    const closed = await within(client.closed, 1_000, 'the socket closing');
    expect(SHUTDOWN_CLOSE_CODES, `close ${closed.code} ${closed.reason}\n${container.logs.join('\n')}`).toContain(closed.code);
    expect(exit, container.logs.join('\n')).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(SHUTDOWN_DRAIN_MS + 5_000);
  });
});
