// The load generator against the real server process: a small fan-out load where every
// client must get in and every message must reach every other member, and the command
// line's JSON report and Ctrl-C.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadOptions } from '../../loadtest/options.js';
import type { LoadReport } from '../../loadtest/report.js';
import { runLoad } from '../../loadtest/run.js';
import { loadOptions } from '../helpers/loadOptions.js';
import { startServer, TEST_JWT_SECRET, type ServerHandle } from '../helpers/serverProcess.js';

let server: ServerHandle;

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await server?.stop();
});

function options(argv: string[]): LoadOptions {
  return loadOptions(server.wsUrl, argv);
}

async function serverConnections(): Promise<number> {
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { connections: number };
  return health.connections;
}

/** Runs the command-line generator; resolves with its exit code, stdout and stderr. */
function cli(argv: string[], onStderr?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['loadtest/bin.mjs', '--url', server.wsUrl, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const line of c.toString().split('\n')) if (line) onStderr?.(line, child);
  });
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

describe('load generator against the real server', () => {
  it('fan-out: 50 clients in 5 rooms all join, and every mute toggle reaches every other member', async () => {
    const report = await runLoad(options(['--scenario', 'fanout', '--clients', '50', '--rooms', '5', '--rate', '250', '--message-rate', '2', '--duration', '6', '--jwt-secret', TEST_JWT_SECRET]));

    expect(report.errors).toEqual({ total: 0, byCode: {} });
    expect(report.clients).toMatchObject({ planned: 50, connectAttempts: 50, joins: 50, heldPeak: 50, joinedAtEnd: 50 });
    expect(report.latencyMs.connect.count).toBe(50);
    expect(report.latencyMs.join.count).toBe(50);

    const f = report.fanout;
    // About 50 clients x 2/s over the sending window; each send has the 9 others of its room as receivers.
    expect(f.sent).toBeGreaterThan(300);
    expect(f.expectedDeliveries).toBe(f.sent * 9);
    expect(f.delivered).toBe(f.expectedDeliveries);
    expect(f.missing).toBe(0);
    expect(f.mismatched).toBe(0);
    expect(report.latencyMs.fanout.count).toBe(f.delivered);
    expect(report.latencyMs.fanoutAll.count).toBe(f.sent);
    expect(report.latencyMs.request.count).toBeLessThanOrEqual(f.sent);
    expect(report.latencyMs.request.count).toBeGreaterThanOrEqual(f.sent - 50);
    // Every frame sent is a join or a mute; deliveries are part of what was received.
    expect(report.messages.sent).toBe(50 + f.sent);
    expect(report.messages.received).toBeGreaterThanOrEqual(f.delivered + report.latencyMs.request.count + 50);
    expect(report.latencyMs.fanout.p50).toBeLessThanOrEqual(report.latencyMs.fanout.p99);
    expect(report.latencyMs.fanout.p99).toBeLessThanOrEqual(report.latencyMs.fanout.max);
    expect(report.interrupted).toBe(false);

    // Bounded: every socket is closed when the run resolves.
    await expect.poll(serverConnections, { timeout: 5000 }).toBe(0);
  });

  it('churn and reconnect storms end with everyone back in their rooms and no errors', async () => {
    const churn = await runLoad(options(['--scenario', 'churn', '--clients', '20', '--rooms', '2', '--rate', '40', '--duration', '2', '--jwt-secret', TEST_JWT_SECRET]));
    expect(churn.errors.total).toBe(0);
    expect(churn.latencyMs.leave.count).toBeGreaterThan(0);
    expect(churn.clients.joins).toBe(churn.latencyMs.join.count);
    // Every leave is followed by a rejoin, except one the deadline may cut in between.
    expect(churn.clients.joins).toBeLessThanOrEqual(20 + churn.latencyMs.leave.count);
    expect(churn.clients.joins).toBeGreaterThanOrEqual(20 + churn.latencyMs.leave.count - 1);

    const storm = await runLoad(options(['--scenario', 'reconnect', '--clients', '30', '--rooms', '3', '--rate', '300', '--storm-interval', '1', '--duration', '4', '--jwt-secret', TEST_JWT_SECRET]));
    expect(storm.errors.total).toBe(0);
    expect(storm.latencyMs.reconnect.count % 30).toBe(0);
    expect(storm.latencyMs.reconnect.count).toBeGreaterThanOrEqual(60);
    expect(storm.clients.joins).toBe(30 + storm.latencyMs.reconnect.count);
    expect(storm.clients.joinedAtEnd).toBe(30);
  });

  it('the command line prints a JSON report, taking tokens from the development endpoint', async () => {
    const { code, stdout } = await cli(['--clients', '20', '--rooms', '2', '--rate', '200', '--duration', '1.5', '--json', '--quiet']);
    const report = JSON.parse(stdout) as LoadReport;
    expect(code).toBe(0);
    expect(report).toMatchObject({ tool: 'rtc-loadtest', scenario: 'join-storm', wire: 'ours', options: { tokens: 'endpoint' }, clients: { joins: 20, heldPeak: 20 } });
  });

  it('Ctrl-C stops the command line at once, closes its sockets and still prints what it measured', async () => {
    let interruptedAt = 0;
    const { code, stdout, stderr } = await cli(['--clients', '10', '--rate', '100', '--duration', '60', '--json', '--jwt-secret', TEST_JWT_SECRET], (line, child) => {
      // Interrupt once the progress line says everyone is in.
      if (!interruptedAt && line.includes('joined=10/10')) {
        interruptedAt = performance.now();
        child.kill('SIGINT');
      }
    });
    expect(stderr).toContain('interrupted');
    expect(performance.now() - interruptedAt).toBeLessThan(5000);
    expect(code).toBe(130);
    const report = JSON.parse(stdout) as LoadReport;
    expect(report.interrupted).toBe(true);
    expect(report.clients.joinedAtEnd).toBe(10);
    await expect.poll(serverConnections, { timeout: 5000 }).toBe(0);
  });

  it('refuses a remote target with a clear message and exit code 2', async () => {
    const child = spawn(process.execPath, ['loadtest/bin.mjs', '--url', 'ws://192.0.2.1:8080/ws'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('refusing non-loopback target 192.0.2.1');
  });
});
