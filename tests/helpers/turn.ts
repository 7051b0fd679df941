// Starts coturn (`turnserver`) on loopback for a test: TCP only, TURN REST credentials from
// a shared secret, relaying to loopback peers (the SFU listens on 127.0.0.1). Fails loudly
// when coturn is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readyLine } from './readyLine.js';
import { freePort } from './serverProcess.js';

export interface TurnHandle {
  /** `turn:127.0.0.1:PORT?transport=tcp` */
  url: string;
  port: number;
  secret: string;
  logs: string[];
  stop(): Promise<void>;
}

const TURN_BINARY = 'turnserver';

export interface TurnPlacement {
  /** Run inside this network namespace (`ip netns exec`, needs root). */
  netns?: string;
  /** Listening and relay address; 127.0.0.1 unless given. */
  address?: string;
}

export async function startTurnServer(secret = 'turn-test-secret-0123456789', placement: TurnPlacement = {}): Promise<TurnHandle> {
  const address = placement.address ?? '127.0.0.1';
  if (spawnSync('sh', ['-c', `command -v ${TURN_BINARY}`]).status !== 0) {
    throw new Error(`${TURN_BINARY} not found: install Debian's coturn package (apt-get install coturn)`);
  }
  const port = await freePort();
  // Its pid file and user database would otherwise go to /var: one directory per server.
  const dir = await mkdtemp(path.join(tmpdir(), 'coturn-'));
  const command = placement.netns ? ['ip', 'netns', 'exec', placement.netns, TURN_BINARY] : [TURN_BINARY];
  const child: ChildProcess = spawn(
    command[0]!,
    [
      ...command.slice(1),
      '-n', // no configuration file
      '-v',
      `--listening-port=${port}`,
      `--listening-ip=${address}`,
      `--relay-ip=${address}`,
      '--min-port=49152',
      '--max-port=65535',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=test',
      '--no-udp',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers',
      '--log-file=stdout',
      `--pidfile=${path.join(dir, 'turnserver.pid')}`,
      `--db=${path.join(dir, 'turndb')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  // -v makes it log its listeners: the TCP one opening says it is ready.
  await readyLine(child, (line) => line.includes(`TCP listener opened on : ${address}:${port}`), logs, 10_000, 'turnserver');
  return {
    url: `turn:${address}:${port}?transport=tcp`,
    port,
    secret,
    logs,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
