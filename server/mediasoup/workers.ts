// mediasoup's worker processes, as its users run them: one worker per core, each with one
// WebRtcServer so that all of a worker's transports share one UDP and one TCP port (per
// address); rooms are spread across workers. A worker that dies is replaced, and the
// rooms it held are told, so their people can join again on a live one. A worker that
// dies of a stop signal while this process is stopping too (SIGTERM or Ctrl-C to the
// whole process group) did not crash: the process's drain (4011) handles its rooms.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { TransportListenInfo, WebRtcServer, Worker } from 'mediasoup/types';
import type { Logger } from '../../signaling/log.js';
import type { RtcOptions } from '../sfu/rtcConfig.js';
import { guarded, type FaultReporter } from './faults.js';

/** Where a worker binary is to be found, if anywhere: MEDIASOUP_WORKER_BIN, else where mediasoup keeps its own. */
export function findWorkerBinary(configured: string | undefined): { path: string; found: boolean } {
  if (configured) return { path: configured, found: existsSync(configured) };
  let packageDir: string;
  try {
    packageDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('mediasoup')), '..', '..');
  } catch {
    return { path: 'node_modules/mediasoup/worker/out/Release/mediasoup-worker', found: false };
  }
  const bin = path.join(packageDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  return { path: bin, found: existsSync(bin) };
}

export interface WorkerPoolOptions {
  workers: number;
  workerBin: string;
  rtc: RtcOptions;
  log: Logger;
  fault: FaultReporter;
}

export interface PoolWorker {
  readonly index: number;
  readonly worker: Worker;
  readonly webRtcServer: WebRtcServer;
  /** Rooms placed on this worker (for placement). */
  rooms: number;
}

type DeathListener = (worker: PoolWorker) => void;

/** The signals that stop this process (main.ts drains on them). */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/**
 * How long a worker's death by a stop signal waits for that signal to reach this process
 * too: a signal to the process group reaches both at once, but which exit Node hears of
 * first is a race. Past it, the death counts as a crash (someone signalled the worker alone).
 */
const STOP_SIGNAL_WINDOW_MS = 1000;

/**
 * True when a worker's death error says a stop signal ended it: killed by it
 * ("[pid:N, code:null, signal:SIGTERM]"), or a clean exit ("code:0"), which is how the
 * worker ends when it handles the signal itself (seen in CI: a group SIGTERM gave code 0).
 */
export function diedOfStopSignal(error: Error): boolean {
  return /signal:SIG(TERM|INT)\b|code:0\b/.test(error.message);
}

export class WorkerPool {
  private readonly workers: (PoolWorker | undefined)[] = [];
  private readonly deathListeners = new Set<DeathListener>();
  private closed = false;
  /** Set when this process got a stop signal: it is draining, its workers go with it. */
  private stopping = false;
  private readonly stopWaiters = new Set<() => void>();
  private readonly onStopSignal = (): void => {
    this.stopping = true;
    for (const wake of [...this.stopWaiters]) wake();
  };

  private constructor(private readonly options: WorkerPoolOptions) {
    for (const signal of STOP_SIGNALS) process.on(signal, this.onStopSignal);
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      for (let i = 0; i < options.workers; i++) pool.workers[i] = await pool.startWorker(i);
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  /** The live worker with the fewest rooms. */
  pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.workers) if (w && !w.worker.closed && (!best || w.rooms < best.rooms)) best = w;
    if (!best) throw new Error('no mediasoup worker is running');
    return best;
  }

  onWorkerDied(listener: DeathListener): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  get size(): number {
    return this.workers.filter((w) => w && !w.worker.closed).length;
  }

  close(): void {
    this.closed = true;
    for (const signal of STOP_SIGNALS) process.off(signal, this.onStopSignal);
    this.onStopSignal();
    for (const w of this.workers) w?.worker.close();
  }

  private async startWorker(index: number): Promise<PoolWorker> {
    const { createWorker } = await import('mediasoup');
    const worker = await createWorker({ logLevel: 'warn', workerBin: this.options.workerBin });
    let webRtcServer: WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({ listenInfos: listenInfos(this.options.rtc) });
    } catch (err) {
      worker.close();
      throw new Error(`mediasoup worker ${index}: could not listen for media: ${err instanceof Error ? err.message : String(err)}`);
    }
    const entry: PoolWorker = { index, worker, webRtcServer, rooms: 0 };
    worker.on('died', guarded(this.options.fault, 'worker died', (error: Error) => this.workerDied(entry, error), { worker: index }));
    this.options.log.info('mediasoup worker started', { worker: index, pid: worker.pid });
    return entry;
  }

  private workerDied(entry: PoolWorker, error: Error): void {
    if (this.workers[entry.index] === entry) this.workers[entry.index] = undefined;
    if (!diedOfStopSignal(error)) return this.crashed(entry, error);
    // Ctrl-C or a stop signal to the whole process group reaches the workers too: if this
    // process got it as well, it is draining its clients (4011); evicting them as if the
    // worker had crashed (4012) would race that drain.
    this.stopSignalReached(STOP_SIGNAL_WINDOW_MS).then(
      (stopping) => {
        if (!stopping) return this.crashed(entry, error);
        this.options.log.info('mediasoup worker stopped by a signal to the process group', { worker: entry.index, pid: entry.worker.pid });
      },
      (err: unknown) => this.options.fault('worker died', err, { worker: entry.index }),
    );
  }

  /** Resolves true once this process got a stop signal (or the pool closed), false after `ms` without one. */
  private stopSignalReached(ms: number): Promise<boolean> {
    if (this.stopping || this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.stopWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.stopWaiters.delete(wake);
        resolve(false);
      }, ms);
      timer.unref();
      this.stopWaiters.add(wake);
    });
  }

  /** A worker died on its own: its rooms are told (their people join again), and it is replaced. */
  private crashed(entry: PoolWorker, error: Error): void {
    this.options.log.error('mediasoup worker died', { worker: entry.index, pid: entry.worker.pid, error: error.message });
    for (const listener of this.deathListeners) {
      try {
        listener(entry);
      } catch (err) {
        this.options.fault('worker death listener', err, { worker: entry.index });
      }
    }
    if (this.closed || this.stopping) return;
    // Its port is free again once the process is gone; a replacement takes its place.
    this.startWorker(entry.index).then(
      (replacement) => {
        if (this.closed) replacement.worker.close();
        else this.workers[entry.index] = replacement;
      },
      (err: unknown) => this.options.log.error('mediasoup worker could not be replaced', { worker: entry.index, error: String(err) }),
    );
  }
}

/** Below Linux's ephemeral range (32768-60999), so a fixed listener cannot collide with an outgoing connection's port. */
const UNCONFIGURED_PORTS = { min: 20000, max: 29999 };

/**
 * The addresses and ports a worker listens on: one free port (UDP, and one TCP) from
 * RTC_MIN_PORT..RTC_MAX_PORT, so several workers, and several nodes on one machine, share
 * a range. Without RTC_LISTEN_IP, every IPv4 interface is offered, as the werift engine does.
 */
export function listenInfos(rtc: RtcOptions): TransportListenInfo[] {
  const portRange = rtc.portRange ? { min: rtc.portRange[0], max: rtc.portRange[1] } : UNCONFIGURED_PORTS;
  // Behind NAT (an announced address and no listen address) one socket on every address will do.
  const ips = rtc.listenIp ? [rtc.listenIp] : rtc.announcedIp ? ['0.0.0.0'] : ipv4Addresses();
  const protocols: ('udp' | 'tcp')[] = rtc.iceTcp ? ['udp', 'tcp'] : ['udp'];
  const out: TransportListenInfo[] = [];
  for (const ip of ips) {
    for (const protocol of protocols) {
      out.push({
        protocol,
        ip,
        ...(rtc.announcedIp ? { announcedAddress: rtc.announcedIp } : {}),
        portRange,
      });
    }
  }
  return out;
}

function ipv4Addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  }
  return out.length > 0 ? out : ['127.0.0.1'];
}
