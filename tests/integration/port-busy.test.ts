// A second `npm start` on a port that is taken: the person is told which port is busy and
// which setting to change, in one line without a stack, and the process exits non-zero
// (without leaving media workers behind).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, TEST_JWT_SECRET, type ServerHandle } from '../helpers/serverProcess.js';
import { within } from '../helpers/wsClient.js';

/** Runs dist/main.js as `npm start` would, with `env` on top; resolves with its exit code and output. */
async function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [path.resolve('dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', RTC_LISTEN_IP: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET, DEV_TOKENS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const [code] = (await within(once(child, 'exit'), 15_000, 'the second server exiting')) as [number | null];
    return { code, stderr, stdout };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** A stack trace line, as Node prints them ("    at fn (file:line:col)"). */
const STACK_LINE = /^\s+at .+:\d+/m;

describe('starting on a busy port', () => {
  let first: ServerHandle;
  beforeAll(async () => {
    first = await startServer();
  });
  afterAll(async () => {
    await first?.stop();
  });

  it('a second server on the same PORT says the port is busy and names PORT, without a stack, and exits non-zero', async () => {
    const second = await runServer({ PORT: String(first.port) });
    expect(second.code, second.stderr).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stderr).toContain(`port ${first.port} is busy`);
    expect(second.stderr).toContain(`PORT=${first.port + 1}`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    expect(second.stderr).not.toContain('EADDRINUSE');
    expect(second.stdout).not.toContain('Call server ready');
    // The first server was not disturbed.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });

  it('a busy METRICS_PORT is named as METRICS_PORT, not PORT', async () => {
    const taken: Server = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const address = taken.address();
    const metricsPort = typeof address === 'object' && address ? address.port : 0;
    try {
      const second = await runServer({ PORT: String(await freePort()), METRICS_PORT: String(metricsPort) });
      expect(second.code, second.stderr).not.toBe(0);
      expect(second.code).not.toBeNull();
      expect(second.stderr).toContain(`port ${metricsPort} is busy`);
      expect(second.stderr).toContain('METRICS_PORT=');
      expect(second.stderr).not.toMatch(/(^|[^_])PORT=/);
      expect(second.stderr).not.toMatch(STACK_LINE);
    } finally {
      taken.close();
    }
  });
});
