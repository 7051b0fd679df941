// Starts several nodes on this machine sharing one Redis, behind a round-robin load
// balancer with no stickiness, for demos: `npm run start:cluster -- --nodes 3`.
// Uses REDIS_URL when set, else starts Debian's redis-server on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startRedis, type RedisHandle } from '../tests/helpers/redis.js';
import { startLoadBalancer, type LoadBalancer } from './loadBalancer.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} needs a positive whole number\n`);
    process.exit(2);
  }
  return value;
};
const count = flag('nodes', 3);
const basePort = flag('port', Number(process.env.PORT ?? 8080));

let redis: RedisHandle | undefined;
let redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  redis = await startRedis({ spawn: true });
  redisUrl = redis.url;
  process.stdout.write(`started redis-server at ${redisUrl} (set REDIS_URL to use your own)\n`);
}
const jwtSecret = process.env.JWT_SECRET ?? randomBytes(32).toString('base64url');

const nodes: ChildProcess[] = [];
let lb: LoadBalancer | undefined;
let stopping = false;
async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const n of nodes) n.kill('SIGTERM');
  await Promise.all(nodes.map((n) => (n.exitCode === null ? new Promise((r) => n.once('exit', r)) : undefined)));
  await lb?.close();
  await redis?.stop();
  process.exit(exitCode);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const ready: Promise<void>[] = [];
for (let i = 1; i <= count; i++) {
  const port = basePort + i;
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      NODE_ID: `node-${i}`,
      REDIS_URL: redisUrl,
      JWT_SECRET: jwtSecret,
      // Each node its own UDP range, so they can share one machine.
      RTC_MIN_PORT: String(40000 + (i - 1) * 200),
      RTC_MAX_PORT: String(40000 + i * 200 - 1),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  nodes.push(child);
  ready.push(nodeReady(child, `node-${i}`));
  process.stdout.write(`starting node-${i} on port ${port} (behind the balancer)\n`);
}
lb = await startLoadBalancer(() => nodes.map((n, i) => (n.exitCode === null ? basePort + i + 1 : -1)).filter((p) => p > 0), basePort);
// The one address to open comes last, once every node can take calls, so it is not lost among their logs.
const started = await Promise.allSettled(ready);
const failed = started.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
if (failed.length === count) {
  process.stderr.write(`no node started: ${failed.join('; ')}\n`);
  await stopAll(1);
}
if (failed.length > 0) process.stderr.write(`${failed.join('; ')}; the balancer uses the others\n`);
process.stdout.write(`\n  Cluster ready: open http://localhost:${basePort}/?room=demo in two browser tabs\n  (load balancer, round robin, no stickiness, over ${count - failed.length} nodes). Ctrl-C stops everything.\n\n`);

/** Passes the node's output through; resolves once it says it is ready, rejects if it exits first. */
function nodeReady(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      if (pending.includes('Call server ready')) resolve();
      pending = pending.slice(-200);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

