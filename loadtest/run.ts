// The generator's in-process API: runs one scenario against a server and returns the
// report. Bounded: it stops at the deadline or when `signal` aborts, and closes every
// peer connection (media mode) and socket before it resolves. The CLI (cli.ts) and the
// tests use this.
import type { LoadOptions, Scenario } from './options.js';
import type { LatencyName } from './metrics.js';
import { buildReport, type LoadReport, type Progress } from './report.js';
import { RunContext, identityOf, roomOf } from './runContext.js';
import { checkReachable } from './reachability.js';
import { churn } from './scenarios/churn.js';
import { fanout } from './scenarios/fanout.js';
import { joinStorm } from './scenarios/joinStorm.js';
import { reconnect } from './scenarios/reconnect.js';
import { endpointTokens, mintedTokens, type TokenSource } from './tokens.js';
import { bareWire, oursWire } from './wire.js';

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  /** Overrides where tokens come from (default: minted with --jwt-secret, else POST /api/token). */
  tokens?: TokenSource;
}

const SCENARIOS: Record<Scenario, { run: (ctx: RunContext) => Promise<void>; headline: LatencyName }> = {
  'join-storm': { run: joinStorm, headline: 'join' },
  fanout: { run: fanout, headline: 'fanout' },
  churn: { run: churn, headline: 'join' },
  reconnect: { run: reconnect, headline: 'reconnect' },
};

export async function runLoad(options: LoadOptions, hooks: RunHooks = {}): Promise<LoadReport> {
  // Fails at once, with the address and what to check, when nothing listens there.
  await checkReachable(options.url, Math.min(options.timeoutMs, 5000));
  const wire = options.bare ? bareWire : oursWire;
  let tokens: string[] = [];
  if (!options.bare) {
    const source = hooks.tokens ?? (options.jwtSecret ? mintedTokens(options.jwtSecret) : endpointTokens(options.url));
    const requests = Array.from({ length: options.clients }, (_, i) => ({ identity: identityOf(options, i), name: `bot ${i}`, room: roomOf(options, i) }));
    tokens = await source(requests);
  }
  const scenario = SCENARIOS[options.scenario];
  const startedAt = new Date();
  const cpu0 = process.cpuUsage();
  const ctx = new RunContext(options, wire, tokens, hooks.signal);
  const m = ctx.metrics;

  let last = { at: performance.now(), sent: 0, received: 0 };
  const progress = setInterval(() => {
    const now = performance.now();
    const dt = (now - last.at) / 1000;
    const h = m.histogram(scenario.headline);
    hooks.onProgress?.({
      elapsedS: (now - ctx.startMs) / 1000,
      planned: options.clients,
      joined: ctx.joinedCount,
      held: m.held,
      sentPerSecond: (m.framesSent - last.sent) / dt,
      receivedPerSecond: (m.framesReceived - last.received) / dt,
      errors: m.errorTotal,
      headline: { name: scenario.headline, p99: h.percentile(99), count: h.count },
      ...(ctx.media ? { media: ctx.media.progress() } : {}),
    });
    last = { at: now, sent: m.framesSent, received: m.framesReceived };
  }, hooks.progressIntervalMs ?? 1000);

  try {
    // Every run lasts the --duration asked for (or until interrupted), also when the
    // scenario's own work ends earlier (fanout stops sending before the deadline and may
    // see every message arrive): the report's elapsed time is the requested window.
    await Promise.race([scenario.run(ctx).then(() => ctx.stopped), ctx.stopped]);
  } finally {
    clearInterval(progress);
  }
  const stoppedAt = performance.now();
  const interrupted = ctx.interrupted;
  const joinedAtEnd = ctx.joinedCount;
  const heldAtEnd = m.held;
  ctx.stop(false);
  // Peer connections first, while the sockets that negotiated them are still up.
  const media = await ctx.media?.stop(stoppedAt, Math.min(options.timeoutMs, 3000));
  await ctx.closeAll();
  const cpu = process.cpuUsage(cpu0);
  const elapsedMs = stoppedAt - ctx.startMs;
  return buildReport({
    options,
    metrics: m,
    startedAt,
    elapsedMs,
    interrupted,
    joinedAtEnd,
    heldAtEnd,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - ctx.startMs)) * 100,
    media,
  });
}
