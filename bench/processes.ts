// The bench's process plumbing: start a server or the generator as a separate process
// with a raised open-file limit, wait for a line it prints, and read its CPU time and
// resident memory from /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The soft and hard open-file limits a child started by /bin/sh gets. */
export function openFileLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const out = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Lines printed so far, stdout and stderr together. */
  lines: string[];
  stdout: string[];
  /** Resolves with the first line matching `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `command args` through sh with `ulimit -n fdLimit`, so the limit applies to it alone. */
export function startChild(command: string, args: string[], opts: { env?: Record<string, string>; fdLimit: number }): Child {
  const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('sh', ['-c', `ulimit -n ${opts.fdLimit} && exec ${quoted}`], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stdout: string[] = [];
  const watchers: Array<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  const onLine = (line: string): void => {
    lines.push(line);
    for (const w of [...watchers]) {
      const m = w.pattern.exec(line);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const reader = (sink?: string[]) => {
    let rest = '';
    return (chunk: Buffer): void => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) {
        sink?.push(p);
        onLine(p);
      }
    };
  };
  child.stdout.on('data', reader(stdout));
  child.stderr.on('data', reader());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    pid: child.pid!,
    lines,
    stdout,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        watchers.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before printing ${pattern}:\n${lines.slice(-20).join('\n')}`));
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds of a process. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size of a process in KiB (VmRSS of /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0);
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Samples a process's CPU time while a step runs; reports the average and the busiest second. */
export function sampleCpu(pid: number, everyMs = 250): { stop(): { averagePercent: number; peakPercent: number } } {
  const samples: Array<[number, number]> = [[performance.now(), cpuSeconds(pid)]];
  const timer = setInterval(() => samples.push([performance.now(), cpuSeconds(pid)]), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push([performance.now(), cpuSeconds(pid)]);
      const [t0, c0] = samples[0]!;
      const [t1, c1] = samples.at(-1)!;
      let peak = 0;
      for (let i = 0; i < samples.length; i++) {
        const j = samples.findIndex(([t]) => t - samples[i]![0] >= 1000);
        if (j < 0) break;
        const [ta, ca] = samples[i]!;
        const [tb, cb] = samples[j]!;
        peak = Math.max(peak, ((cb - ca) / ((tb - ta) / 1000)) * 100);
      }
      return { averagePercent: ((c1 - c0) / ((t1 - t0) / 1000)) * 100, peakPercent: peak };
    },
  };
}
