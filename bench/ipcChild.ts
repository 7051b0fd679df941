// Request/response over Node's IPC channel between the bench and the processes it forks
// (bots, relay). The bench needs answers at exact moments (counters at the start and end
// of a window), which printed lines would make awkward to match.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

interface Envelope {
  id: number;
  body: unknown;
}
interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface IpcChild<Req, Res> {
  pid: number;
  process: ChildProcess;
  request(body: Req, timeoutMs?: number): Promise<Res>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Forks a TypeScript module under tsx's loader, so the child is one node process whose CPU /proc shows. */
export function forkTs<Req, Res>(modulePath: string, args: string[] = []): IpcChild<Req, Res> {
  const child = fork(path.resolve(modulePath), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: Res): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  child.on('message', (raw) => {
    const reply = raw as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result as Res);
    else p.reject(new Error(`${path.basename(modulePath)}: ${reply.error}`));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${path.basename(modulePath)} exited`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    process: child,
    request(body, timeoutMs = 30_000) {
      const id = nextId++;
      return new Promise<Res>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${path.basename(modulePath)}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, body } satisfies Envelope);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's side: answers each request with `handle`'s result or error. Exits when the parent goes. */
export function serveRequests<Req, Res>(handle: (body: Req) => Promise<Res> | Res): void {
  if (!process.send) throw new Error('this module runs as a child of the bench (forked with an IPC channel)');
  process.on('message', (raw) => {
    const { id, body } = raw as Envelope;
    Promise.resolve()
      .then(() => handle(body as Req))
      .then(
        (result) => process.send!({ id, ok: true, result } satisfies Reply),
        (err: unknown) => process.send!({ id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
      );
  });
  // An orphaned bot would keep sending packets into nothing: leave with the parent.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
