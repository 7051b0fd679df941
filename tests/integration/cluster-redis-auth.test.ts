// Redis with a password (AUTH) and over TLS (rediss://), as a production Redis runs: the
// nodes connect with REDIS_URL alone, and the password never reaches a log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClusterState } from '../../signaling/cluster/redisState.js';
import { selfSignedCertificate } from '../../server/tls.js';
import { freePort, startServer } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom } from '../helpers/wsClient.js';

const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'rtc-redis-auth-'));
const servers: ChildProcess[] = [];

/** redis-server with extra arguments, resolved once it accepts connections. */
async function redisServer(args: string[]): Promise<void> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout.resume();
}

let authPort: number;
let tlsPort: number;
let caFile: string;

beforeAll(async () => {
  authPort = await freePort();
  await redisServer(['--port', String(authPort), '--requirepass', PASSWORD]);
  const { cert, key } = await selfSignedCertificate();
  caFile = path.join(dir, 'cert.pem');
  writeFileSync(caFile, cert);
  writeFileSync(path.join(dir, 'key.pem'), key);
  tlsPort = await freePort();
  await redisServer(['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', caFile, '--tls-key-file', path.join(dir, 'key.pem'), '--tls-auth-clients', 'no', '--requirepass', PASSWORD]);
});

afterAll(async () => {
  await Promise.all(servers.map(async (s) => {
    if (s.exitCode !== null) return;
    const exited = once(s, 'exit');
    s.kill('SIGTERM');
    await exited;
  }));
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis AUTH', () => {
  it('connects with the password in REDIS_URL (default user, and user:password)', async () => {
    for (const url of [`redis://:${PASSWORD}@127.0.0.1:${authPort}`, `redis://default:${PASSWORD}@127.0.0.1:${authPort}`]) {
      const state = await RedisClusterState.connect(url, { connectTimeoutMs: 3000 });
      try {
        await state.nodes.heartbeat({ id: 'n1', signalingUrl: 'x', mediaAddress: '', participants: 0, cpu: 0, acceptingRooms: true, heartbeatAt: Date.now() }, 5000);
        expect((await state.nodes.list()).map((n) => n.id)).toEqual(['n1']);
      } finally {
        // A registered node that never answers would be a candidate owner for the rooms
        // of the real node the next test starts on this Redis (its join then times out).
        await state.nodes.remove('n1');
        await state.close();
      }
    }
  });

  it('a wrong password fails start-up with a message that does not contain it', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const error = await RedisClusterState.connect(`redis://:${wrong}@127.0.0.1:${authPort}`, { connectTimeoutMs: 1500 }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('redis://:***@127.0.0.1');
    expect(error!.message).not.toContain(wrong);
  });

  it('a node runs in cluster mode on a password-protected Redis and never logs the password', async () => {
    const node = await startServer({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${authPort}`, NODE_ID: 'auth-1', LOG_LEVEL: 'debug' });
    const pool = new ClientPool(() => node.wsUrl);
    try {
      const room = freshRoom();
      await pool.joined(signedToken({ room }), room);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    } finally {
      pool.dropAll();
      await node.stop();
    }
    expect(node.logs.join('\n')).toContain('cluster mode');
    expect(node.logs.join('\n')).not.toContain(PASSWORD);
  });
});

describe('Redis over TLS (rediss://)', () => {
  it('a node connects to a TLS-only Redis whose certificate it trusts through NODE_EXTRA_CA_CERTS', async () => {
    const node = await startServer({ REDIS_URL: `rediss://:${PASSWORD}@localhost:${tlsPort}`, NODE_ID: 'tls-1', NODE_EXTRA_CA_CERTS: caFile });
    const pool = new ClientPool(() => node.wsUrl);
    try {
      const room = freshRoom();
      const { result } = await pool.joined(signedToken({ room }), room);
      expect(result.room).toBe(room);
    } finally {
      pool.dropAll();
      await node.stop();
    }
    expect(node.logs.join('\n')).not.toContain(PASSWORD);
  });

  it('refuses a Redis whose certificate it does not trust, naming the URL without the password', async () => {
    const error = await RedisClusterState.connect(`rediss://:${PASSWORD}@localhost:${tlsPort}`, { connectTimeoutMs: 1500 }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('rediss://:***@localhost');
    expect(error!.message).not.toContain(PASSWORD);
  });
});
