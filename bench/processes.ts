// The bench's process plumbing: start a server or the generator as a separate process
// with a raised open-file limit, wait for a line it prints, and read its CPU time and
// resident memory from /proc, for one process or for a process and all its descendants
// (the mediasoup engine forwards in worker processes the server spawns).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
      return { averagePercent: ((c1 - c0) / ((t1 - t0) / 1000)) * 100, peakPercent: busiestSecond(samples) };
    },
  };
}

/** The highest CPU percentage over any one-second span of cumulative [time ms, CPU s] samples. */
function busiestSecond(samples: ReadonlyArray<readonly [number, number]>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const j = samples.findIndex(([t]) => t - samples[i]![0] >= 1000);
    if (j < 0) break;
    const [ta, ca] = samples[i]!;
    const [tb, cb] = samples[j]!;
    peak = Math.max(peak, ((cb - ca) / ((tb - ta) / 1000)) * 100);
  }
  return peak;
}

/**
 * A process's program name: the base name of its argv[0] (`node`, `mediasoup-worker`).
 * Not `comm`, which Node 24 sets to `MainThread` and which is cut at 15 characters.
 */
export function processName(pid: number): string {
  const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  if (argv0) return path.basename(argv0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** `pid` and every live descendant, parents first (from /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone meanwhile
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ')) if (c.trim()) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/** CPU of one process of a sampled tree over the window. */
export interface ProcessCpu {
  pid: number;
  name: string;
  percent: number;
}

export interface TreeCpu {
  /** The whole tree (the process and its descendants), % of one core. */
  averagePercent: number;
  peakPercent: number;
  /** Each process seen during the window, root first. */
  processes: ProcessCpu[];
}

/**
 * Samples the CPU time of a process and all its descendants while a step runs. /proc's
 * cumulative children times count only children that exited and were waited for, so the
 * tree is walked at every sample. A process first seen during the window counts from
 * zero (it started in it); one that exits keeps what it had at its last sample.
 */
export function sampleTreeCpu(rootPid: number, everyMs = 250): { stop(): TreeCpu } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const names = new Map<number, string>();
  const totals: Array<[number, number]> = [];
  const read = (initial: boolean): void => {
    const now = performance.now();
    for (const pid of processTree(rootPid)) {
      let cpu: number;
      try {
        cpu = cpuSeconds(pid);
        if (!names.has(pid)) names.set(pid, processName(pid));
      } catch {
        continue; // exited between the walk and the read
      }
      if (!first.has(pid)) first.set(pid, initial ? cpu : 0);
      last.set(pid, cpu);
    }
    let total = 0;
    for (const [pid, c] of last) total += c - first.get(pid)!;
    totals.push([now, total]);
  };
  read(true);
  const timer = setInterval(() => read(false), everyMs);
  return {
    stop() {
      clearInterval(timer);
      read(false);
      const [t0, c0] = totals[0]!;
      const [t1, c1] = totals.at(-1)!;
      const seconds = (t1 - t0) / 1000;
      const processes = [...last].map(([pid, c]) => ({ pid, name: names.get(pid) ?? '?', percent: ((c - first.get(pid)!) / seconds) * 100 }));
      return { averagePercent: ((c1 - c0) / seconds) * 100, peakPercent: busiestSecond(totals), processes };
    },
  };
}

/** Resident memory of a process and its descendants, KiB (shared pages count once per process). */
export function treeRssKb(rootPid: number): { totalKb: number; processes: Array<{ pid: number; name: string; rssKb: number }> } {
  const processes: Array<{ pid: number; name: string; rssKb: number }> = [];
  for (const pid of processTree(rootPid)) {
    try {
      processes.push({ pid, name: processName(pid), rssKb: rssKb(pid) });
    } catch {
      // exited meanwhile
    }
  }
  return { totalKb: processes.reduce((sum, p) => sum + p.rssKb, 0), processes };
}

/** The whole machine's busy CPU (all processes, everyone's) over a window, % of one core, from /proc/stat. */
export function sampleMachineCpu(): { stop(): { busyPercent: number } } {
  const read = (): { busy: number; total: number } => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const idle = fields[3]! + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  };
  const t0 = performance.now();
  const a = read();
  return {
    stop() {
      const b = read();
      const seconds = (performance.now() - t0) / 1000;
      return { busyPercent: ((b.busy - a.busy) / CLOCK_TICKS / seconds) * 100 };
    },
  };
}
