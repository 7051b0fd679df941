// A real Redis for tests: Debian's redis-server on a free loopback port, with nothing
// written to disk. Tests that need Redis fail (never skip) when it cannot be had.
//
// With REDIS_URL set, startRedis() uses that server instead and never touches anything
// outside the rtc: prefix; it cannot be killed or restarted, so outage tests ask for
// their own with { spawn: true }.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { createClient } from 'redis';
import { KEY_PREFIX } from '../../signaling/cluster/keys.js';
import { freePort } from './serverProcess.js';

export interface RedisHandle {
  url: string;
  port: number;
  /** Deletes every rtc: key, so each test starts from an empty store. */
  flush(): Promise<void>;
  /** Shuts the server down (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops the server if it runs, then starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGKILL: the server vanishes without closing connections politely. */
  kill(): Promise<void>;
  /** SIGSTOP, then SIGCONT after `ms`: a Redis that hangs with its connections open. */
  pause(ms: number): Promise<void>;
}

const NOT_FOUND = 'redis-server not found: apt-get install redis-server, or set REDIS_URL';

export async function startRedis(options: { spawn?: boolean } = {}): Promise<RedisHandle> {
  const external = process.env.REDIS_URL;
  if (external && !options.spawn) return externalRedis(external);

  const port = await freePort();
  let child = await spawnRedis(port);
  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    flush: () => deleteKeys(url, `${KEY_PREFIX}*`),
    stop: () => exit('SIGTERM'),
    kill: () => exit('SIGKILL'),
    async pause(ms) {
      child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, ms));
      child.kill('SIGCONT');
    },
    async restart() {
      await exit('SIGTERM');
      child = await spawnRedis(port);
    },
  };
}

/** Keys matching pattern (default: everything the cluster writes), sorted; for leak audits. */
export async function redisKeys(url: string, pattern = `${KEY_PREFIX}*`): Promise<string[]> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 100 })) keys.push(...batch);
    return keys.sort();
  } finally {
    await client.close();
  }
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const keys = await redisKeys(url, pattern);
  if (keys.length === 0) return;
  const client = createClient({ url });
  await client.connect();
  try {
    await client.del(keys);
  } finally {
    await client.close();
  }
}

function externalRedis(url: string): RedisHandle {
  const cannot = async (): Promise<never> => {
    throw new Error('cannot stop, kill or restart the Redis at REDIS_URL; use startRedis({ spawn: true })');
  };
  return { url, port: Number(new URL(url).port || 6379), flush: () => deleteKeys(url, `${KEY_PREFIX}*`), stop: cannot, kill: cannot, restart: cannot, pause: cannot };
}

/** Starts redis-server and resolves once it says it accepts connections. */
async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // A crashed test run must not leave servers behind.
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));

  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output.join('')}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.join('').includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new Error(NOT_FOUND) : err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output.join('')}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  await ping(port);
  return child;
}

async function ping(port: number): Promise<void> {
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  try {
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`redis-server on ${port} answered PING with ${String(reply)}`);
  } finally {
    await client.close();
  }
}
