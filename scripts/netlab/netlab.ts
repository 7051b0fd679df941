// Two network namespaces joined by an impaired link, for the TCP vs UDP experiment:
// `server` (10.77.0.1) holds the SFU and coturn, `client` (10.77.0.2) the browsers.
// The link is scripts/netlab/shaper.py (this kernel has no netem): every packet between
// the namespaces passes through it, delayed and dropped as set with setImpairment().
// Needs root (namespaces, TUN devices). Cleans up on close(), on exit and on Ctrl-C,
// and sweeps namespaces a killed earlier run left behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const SERVER_ADDRESS = '10.77.0.1';
export const CLIENT_ADDRESS = '10.77.0.2';
const PREFIX = 'rtclab';
const SHAPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'shaper.py');

/** One direction's impairment; `up` is client→server, `down` server→client. */
export interface LinkImpairment {
  delayMs?: number;
  jitterMs?: number;
  /** Probability of dropping each packet, 0..1. */
  loss?: number;
}

export interface LinkCounts {
  up: { passed: number; dropped: number };
  down: { passed: number; dropped: number };
}

export interface NetLab {
  serverNs: string;
  clientNs: string;
  /** A script that runs Chromium inside the client namespace (for playwright's executablePath). */
  chromiumInClientNs: string;
  setImpairment(up: LinkImpairment, down?: LinkImpairment): Promise<LinkCounts>;
  counts(): Promise<LinkCounts>;
  close(): Promise<void>;
}

/** Why a lab cannot be built here, or undefined when it can. */
export function netLabProblem(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces and TUN devices needs root (run with sudo)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'the `ip` command (iproute2) is missing or cannot list namespaces';
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is missing (the impaired link is scripts/netlab/shaper.py)';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is not available (the impaired link needs TUN devices)';
  }
  return undefined;
}

function ip(...args: string[]): void {
  const res = spawnSync('ip', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${res.stderr.trim()}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends every process inside a namespace, then deletes it. Synchronous: usable from an exit handler. */
function deleteNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Removes namespaces of earlier runs whose process is gone (a run killed with -9). */
function sweepStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const m = /^(rtclab-(?:srv|cli)-(\d+))\b/.exec(line);
    if (m && !pidAlive(Number(m[2]))) deleteNamespace(m[1]!);
  }
}

export interface NetLabOptions {
  /** The Chromium the wrapper script runs; /usr/bin/chromium unless given. */
  chromiumPath?: string;
}

export async function createNetLab(options: NetLabOptions = {}): Promise<NetLab> {
  const problem = netLabProblem();
  if (problem) throw new Error(`cannot build the network lab: ${problem}`);
  sweepStale();
  const id = process.pid;
  const serverNs = `${PREFIX}-srv-${id}`;
  const clientNs = `${PREFIX}-cli-${id}`;
  const serverDev = `tS${id}`.slice(0, 15);
  const clientDev = `tC${id}`.slice(0, 15);
  const dir = mkdtempSync(path.join(tmpdir(), 'rtclab-'));
  const chromiumInClientNs = path.join(dir, 'chromium');
  let shaper: ChildProcess | undefined;
  let closed = false;

  const teardown = (): void => {
    if (closed) return;
    closed = true;
    shaper?.kill('SIGKILL');
    deleteNamespace(clientNs);
    deleteNamespace(serverNs);
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', teardown);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: removing the network lab (${serverNs}, ${clientNs})\n`);
    teardown();
    process.exit(130);
  };
  process.once('exit', teardown);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    ip('netns', 'add', serverNs);
    ip('netns', 'add', clientNs);
    shaper = spawn('python3', [SHAPER, clientDev, serverDev], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: shaper.stdout! });
    const replies: Array<(line: string) => void> = [];
    let ready: (() => void) | undefined;
    const readyOrExit = new Promise<void>((resolve, reject) => {
      ready = resolve;
      shaper!.once('exit', (code) => reject(new Error(`the link (shaper.py) exited with ${code}`)));
    });
    lines.on('line', (line) => {
      if (line === 'ready') ready?.();
      else replies.shift()?.(line);
    });
    await readyOrExit;
    // The devices exist in this namespace now; each moves into its own, fds stay attached.
    ip('link', 'set', serverDev, 'netns', serverNs);
    ip('link', 'set', clientDev, 'netns', clientNs);
    for (const [ns, dev, local, peer] of [
      [serverNs, serverDev, SERVER_ADDRESS, CLIENT_ADDRESS],
      [clientNs, clientDev, CLIENT_ADDRESS, SERVER_ADDRESS],
    ] as const) {
      ip('-n', ns, 'addr', 'add', local, 'peer', peer, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    writeFileSync(chromiumInClientNs, `#!/bin/sh\nexec ip netns exec ${clientNs} ${options.chromiumPath ?? '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });

    const ask = async (line: string): Promise<LinkCounts> => {
      if (closed || !shaper?.stdin) throw new Error('the network lab is closed');
      const reply = new Promise<string>((resolve) => replies.push(resolve));
      shaper.stdin.write(`${line}\n`);
      const text = await reply;
      if (!text.startsWith('ok ')) throw new Error(`the link refused ${line}: ${text}`);
      return JSON.parse(text.slice(3)) as LinkCounts;
    };
    return {
      serverNs,
      clientNs,
      chromiumInClientNs,
      setImpairment: (up, down = {}) => ask(JSON.stringify({ up, down })),
      counts: () => ask('stats'),
      async close() {
        if (closed) return;
        const child = shaper;
        child?.stdin?.end();
        if (child && child.exitCode === null) await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 2000))]);
        teardown();
      },
    };
  } catch (err) {
    teardown();
    throw err;
  }
}
