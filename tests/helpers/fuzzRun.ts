// One fuzz run against a real server process: many WebSocket connections ("lanes", some
// unauthenticated, some after a valid join) send generated frames, each waiting for the
// server's answer before it runs too far ahead, while a probe asks /healthz and a sampler
// reads the server's RSS. Everything the server says is checked against the codes
// PROTOCOL.md documents; whatever is not becomes a violation with the frames that led to it.
import { readFileSync } from 'node:fs';
import WebSocket, { type RawData } from 'ws';
import { CHROMIUM_OFFERS, drawFrames, type Frame, type LaneContext } from './fuzzFrames.js';
import { fuzzMediaPorts, MediaTargets, type MediaFuzzStats } from './fuzzMedia.js';
import type { DocumentedCodes } from './fuzzProtocolDoc.js';
import { signedToken } from './tokens.js';

export interface FuzzOptions {
  url: string;
  wsUrl: string;
  pid: number;
  seed: number;
  docs: DocumentedCodes;
  /** Stop once the server has answered this many frames... */
  frames: number;
  /** ...or after this long, whichever comes first. */
  budgetMs: number;
  lanes: number;
  /** Lanes that join with a valid token before they fuzz (the rest stay unauthenticated). */
  joinedLanes: number;
  /** Frames drawn per connection; a connection also ends when the server closes it. */
  framesPerConnection?: number;
  /** Datagrams a second to the media ports (0: none). */
  mediaPerSecond?: number;
}

export interface Violation {
  what: string;
  lane: number;
  connectionSeed: number;
  /** The last frames sent on that connection, newest last, cut to a readable length. */
  lastFrames: string[];
}

export interface FuzzResult {
  answered: number;
  sent: number;
  connections: number;
  refusedUpgrades: Record<string, number>;
  errorCodes: Record<string, number>;
  closeCodes: Record<string, number>;
  labels: Record<string, number>;
  /** Frames the server answered with INTERNAL (documented, but a bug): the first few. */
  internal: Violation[];
  violations: Violation[];
  stalls: number;
  healthz: { probes: number; failures: string[]; maxMs: number };
  rss: { startBytes: number; maxBytes: number; endBytes: number };
  media: MediaFuzzStats;
  elapsedMs: number;
  /** The server's own counts once the fuzzers are gone (/healthz). */
  after: Record<string, unknown>;
  /** CPU seconds the server (with its workers) and this fuzzer used during the run. */
  cpuSeconds: { server: number; fuzzer: number };
}

const WINDOW = 8;
const STALL_MS = 10_000;
const HEALTHZ_EVERY_MS = 250;
const HEALTHZ_LIMIT_MS = 1000;

const bump = (counts: Record<string, number>, key: string | number): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};
const preview = (f: Frame): string => {
  const text = typeof f.data === 'string' ? f.data : `<${f.binary ? 'binary' : 'text bytes'} ${f.data.toString('hex').slice(0, 120)}>`;
  return `${f.label} (${f.data.length} B) ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
};

/** RSS of the process and its children (mediasoup workers), from /proc. */
export function treeRssBytes(pid: number): number {
  let total = 0;
  const visit = (p: number): void => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // the process is gone: counted as nothing
    }
  };
  visit(pid);
  return total;
}

async function afterRun(url: string): Promise<Record<string, unknown>> {
  // Closes and leaves reach the rooms within a moment; a second is plenty on loopback.
  await new Promise((r) => setTimeout(r, 1000));
  return (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
}

/** CPU seconds (user + system) of the process and its children, from /proc. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (p: number): void => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone
    }
  };
  visit(pid);
  return ticks / 100; // USER_HZ
}

export async function fuzzServer(o: FuzzOptions): Promise<FuzzResult> {
  const started = performance.now();
  const result: FuzzResult = {
    answered: 0,
    sent: 0,
    connections: 0,
    refusedUpgrades: {},
    errorCodes: {},
    closeCodes: {},
    labels: {},
    internal: [],
    violations: [],
    stalls: 0,
    healthz: { probes: 0, failures: [], maxMs: 0 },
    rss: { startBytes: treeRssBytes(o.pid), maxBytes: 0, endBytes: 0 },
    media: { datagrams: 0, tcpConnections: 0, tcpBytes: 0 },
    elapsedMs: 0,
    cpuSeconds: { server: 0, fuzzer: 0 },
    after: {},
  };
  const serverCpu0 = treeCpuSeconds(o.pid);
  const fuzzerCpu0 = process.cpuUsage();
  const deadline = started + o.budgetMs;
  const done = (): boolean => result.answered >= o.frames || performance.now() > deadline;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const targets = new MediaTargets();
  const violate = (v: Violation): void => {
    if (result.violations.length < 50) result.violations.push(v);
  };

  // /healthz within 1 s, all along.
  const probing = (async () => {
    let stop = false;
    void finished.then(() => (stop = true));
    while (!stop) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${o.url}/healthz`, { signal: AbortSignal.timeout(HEALTHZ_LIMIT_MS) });
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        result.healthz.maxMs = Math.max(result.healthz.maxMs, ms);
        if (res.status !== 200) result.healthz.failures.push(`HTTP ${res.status} at ${Math.round(t0 - started)} ms`);
      } catch (err) {
        result.healthz.failures.push(`${(err as Error).name} at ${Math.round(t0 - started)} ms`);
      }
      result.healthz.probes++;
      result.rss.maxBytes = Math.max(result.rss.maxBytes, treeRssBytes(o.pid));
      await new Promise((r) => setTimeout(r, HEALTHZ_EVERY_MS));
    }
  })();
  const media = fuzzMediaPorts(targets, o.seed, finished, o.mediaPerSecond ?? 1000);

  // A participant that publishes Chromium's real offer and stays: its media ports exist all run.
  const anchorRoom = `fuzz-${o.seed}-0`;
  const anchor = new WebSocket(o.wsUrl, { perMessageDeflate: false });
  anchor.on('error', () => {});
  anchor.on('message', (data: RawData) => {
    const message = JSON.parse(data.toString()) as { sdp?: unknown; result?: { sdp?: unknown } };
    const sdp = message.result?.sdp ?? message.sdp;
    if (typeof sdp === 'string') targets.learn(sdp);
  });
  await new Promise<void>((resolve, reject) => {
    anchor.once('open', () => resolve());
    anchor.once('error', reject);
  });
  anchor.send(JSON.stringify({ type: 'join', id: 1, token: signedToken({ room: anchorRoom, name: 'Anchor' }), room: anchorRoom }));
  anchor.send(JSON.stringify({ type: 'publish', id: 2, sdp: CHROMIUM_OFFERS[0] }));

  let tokens = 0;
  /** Mostly valid tokens; every few an expired one, one for another room, one badly signed. */
  const tokenFor = (room: string) => (): string => {
    tokens++;
    switch (tokens % 10) {
      case 7:
        return signedToken({ room, exp: Math.floor(Date.now() / 1000) - 60 });
      case 8:
        return signedToken({ room: `${room}-other` });
      case 9:
        return signedToken({ room, secret: 'not-the-servers-secret-but-long-enough-for-hs256' });
      default:
        return signedToken({ room, name: `Fuzz ${tokens}` });
    }
  };

  const connection = async (lane: number, connectionSeed: number, joined: boolean): Promise<void> => {
    const room = `fuzz-${o.seed}-${lane % 4}`;
    const recent: Frame[] = [];
    const where = (what: string): Violation => ({ what, lane, connectionSeed, lastFrames: recent.map(preview) });
    const ws = new WebSocket(o.wsUrl, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
    result.connections++;
    let outstanding = 0;
    let progress: (() => void) | undefined;
    let closed = false;
    let lastOffer: string | undefined;
    const closedWith = new Promise<number>((resolve) => {
      ws.on('close', (code) => {
        closed = true;
        progress?.();
        resolve(code);
      });
    });
    ws.on('error', () => {}); // 'close' follows
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('unexpected-response', (req, res) => {
        bump(result.refusedUpgrades, res.statusCode ?? 0);
        if (!o.docs.httpStatuses.has(res.statusCode ?? 0)) violate(where(`upgrade refused with undocumented HTTP ${res.statusCode}`));
        req.destroy();
        resolve(false);
      });
      ws.once('close', () => resolve(false));
    });
    if (!opened) {
      await new Promise((r) => setTimeout(r, 100));
      return;
    }
    ws.on('message', (data: RawData, isBinary) => {
      let message: { type?: unknown; ok?: unknown; error?: { code?: unknown }; sdp?: unknown; result?: { sdp?: unknown } };
      try {
        message = JSON.parse(data.toString());
      } catch {
        violate(where(`server sent a frame that is not JSON${isBinary ? ' (binary)' : ''}: ${data.toString().slice(0, 200)}`));
        return;
      }
      if (message.type === 'response' || message.type === 'error') {
        outstanding = Math.max(0, outstanding - 1);
        result.answered++;
        if (message.type === 'error' || message.ok === false) {
          const code = String(message.error?.code);
          bump(result.errorCodes, code);
          if (!o.docs.errors.has(code)) violate(where(`undocumented error code ${code}`));
          if (code === 'INTERNAL' && result.internal.length < 10) result.internal.push(where('INTERNAL'));
        }
        if (typeof message.result?.sdp === 'string') targets.learn(message.result.sdp);
        progress?.();
      } else if (message.type === 'offer' && typeof message.sdp === 'string') {
        lastOffer = message.sdp;
        targets.learn(message.sdp);
      }
    });

    const ids = { next: 1 };
    const ctx: LaneContext = {
      room,
      token: tokenFor(room),
      get lastOffer() {
        return lastOffer;
      },
      nextId: () => ids.next++,
    };
    if (joined) {
      outstanding++;
      ws.send(JSON.stringify({ type: 'join', id: ids.next++, token: signedToken({ room, name: `Lane ${lane}` }), room }));
    }
    // Drawn in small batches: most connections are closed by the server (4008) after a few dozen.
    const limit = o.framesPerConnection ?? 400;
    let recipes: ReturnType<typeof drawFrames> = [];
    for (let n = 0; n < limit; n++) {
      if (n % 32 === 0) recipes = drawFrames((connectionSeed + n) % 2 ** 31, 32);
      const recipe = recipes[n % 32]!;
      while (!closed && outstanding >= WINDOW) {
        const moved = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), STALL_MS);
          progress = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        progress = undefined;
        if (!moved && !closed) {
          result.stalls++;
          violate(where(`no answer within ${STALL_MS} ms to ${outstanding} frames`));
          ws.terminate();
        }
      }
      if (closed || done()) break;
      const frame = recipe(ctx);
      recent.push(frame);
      if (recent.length > 4) recent.shift();
      bump(result.labels, frame.label.split(':')[0]!);
      outstanding++;
      result.sent++;
      if (typeof frame.data === 'string') ws.send(frame.data);
      else ws.send(frame.data, { binary: frame.binary ?? true });
    }
    // Let the last answers arrive, then leave cleanly (a close frame from our side).
    const settle = Date.now() + STALL_MS;
    while (!closed && outstanding > 0 && Date.now() < settle) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        progress = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    progress = undefined;
    if (!closed) ws.close(1000);
    const code = await closedWith;
    bump(result.closeCodes, code);
    if (!o.docs.closes.has(code)) violate(where(`undocumented close code ${code}`));
  };

  const lane = async (index: number): Promise<void> => {
    for (let n = 0; !done(); n++) {
      const connectionSeed = (o.seed + index * 1_000_003 + n * 7919) % 2 ** 31;
      await connection(index, connectionSeed, index < o.joinedLanes);
    }
  };
  await Promise.all(Array.from({ length: o.lanes }, (_, i) => lane(i)));
  finish();
  anchor.terminate();
  await probing;
  result.media = await media;
  result.rss.endBytes = treeRssBytes(o.pid);
  result.after = await afterRun(o.url);
  result.elapsedMs = performance.now() - started;
  const fuzzerCpu = process.cpuUsage(fuzzerCpu0);
  result.cpuSeconds = { server: treeCpuSeconds(o.pid) - serverCpu0, fuzzer: (fuzzerCpu.user + fuzzerCpu.system) / 1e6 };
  return result;
}
