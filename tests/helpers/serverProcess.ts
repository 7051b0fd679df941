// Starts the built server (dist/main.js) as a real child process on a free port and
// stops it again; tests talk to it over HTTP and WebSocket like any client would.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { readyLine } from './readyLine.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface ServerHandle {
  url: string;
  wsUrl: string;
  port: number;
  process: ChildProcess;
  /** Every log line the server printed so far (JSON lines parsed where possible). */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface ServerPlacement {
  /** Run inside this network namespace (`ip netns exec`, needs root). */
  netns?: string;
  /** The address it listens on for HTTP and media; 127.0.0.1 unless given. */
  address?: string;
  /** Options for node itself, before the script (bench:sfu's `--cpu-prof`). */
  nodeArgs?: string[];
  /** Lead a process group of its own (with its mediasoup workers), so a test can signal the whole group as a terminal or a container stop does. */
  processGroup?: boolean;
}

export async function startServer(env: Record<string, string> = {}, placement: ServerPlacement = {}): Promise<ServerHandle> {
  const port = await freePort();
  const address = placement.address ?? '127.0.0.1';
  const command = [process.execPath, ...(placement.nodeArgs ?? []), path.resolve('dist/main.js')];
  if (placement.netns) command.unshift('ip', 'netns', 'exec', placement.netns);
  const child = spawn(command[0]!, command.slice(1), {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: address,
      RTC_LISTEN_IP: address,
      JWT_SECRET: TEST_JWT_SECRET,
      DEV_TOKENS: 'true',
      LOG_LEVEL: 'info',
      // Tests that want the resume grace period set it; the rest see departures at once.
      RESUME_GRACE_MS: '0',
      // Every test client comes from 127.0.0.1: per-address admission limits sized for
      // browsers behind one NAT would refuse a test file's (or a bench's) sockets. The
      // admission tests set their own (a blank value restores the default).
      WS_MAX_SOCKETS_PER_IP: '20000',
      WS_NEW_SOCKETS_PER_IP_PER_SECOND: '100000',
      WS_NEW_SOCKETS_PER_IP_BURST: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: placement.processGroup ?? false,
  });
  const logs: string[] = [];
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await readyLine(child, (line) => line.includes('Call server ready'), logs, 15_000, 'server');
  return {
    url: `http://${address}:${port}`,
    wsUrl: `ws://${address}:${port}/ws`,
    port,
    process: child,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** Fetches a development token from the server's token endpoint. */
export async function devToken(url: string, room: string, name: string): Promise<string> {
  const res = await fetch(`${url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, name }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  return body.token;
}
