// `npm run start:cluster`: the person is told one address to open, the load balancer's,
// printed last, once every node can take calls; the nodes do not offer their own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readyLine } from '../helpers/readyLine.js';
import { freePort } from '../helpers/serverProcess.js';
import { within } from '../helpers/wsClient.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

it('prints only the balancer\'s address as the one to open, after every node is ready, and it serves the page', async () => {
  const port = await freePort();
  const { REDIS_URL: _ignored, ...env } = process.env;
  const child = spawn(path.resolve('node_modules/.bin/tsx'), ['scripts/cluster.ts', '--nodes', '2', '--port', String(port)], {
    env: { ...env, MEDIA_ENGINE: 'werift', LOG_LEVEL: 'warn', HOST: '127.0.0.1', RTC_LISTEN_IP: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGINT');
    await within(once(child, 'exit'), 15_000, 'start:cluster stopping');
  };
  const lines: string[] = [];
  await readyLine(child, (line) => line.includes('Cluster ready'), lines, 30_000, 'start:cluster');

  const offers = lines.filter((l) => /\bopen\s+https?:\/\//.test(l));
  expect(offers, lines.join('\n')).toEqual([expect.stringContaining(`open http://localhost:${port}/`)]);
  // Both nodes said they were ready before the balancer's line, and neither offered itself.
  const nodeLines = lines.filter((l) => l.includes('Call server ready'));
  expect(nodeLines, lines.join('\n')).toHaveLength(2);
  for (const line of nodeLines) expect(line).toMatch(/one node of a cluster \(open the load balancer's address, not this one\)/);
  expect(lines.findIndex((l) => l.includes('Cluster ready'))).toBeGreaterThan(Math.max(...nodeLines.map((l) => lines.indexOf(l))));

  const page = await fetch(`http://127.0.0.1:${port}/?room=demo`);
  expect(page.status).toBe(200);
});
