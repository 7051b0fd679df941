// Arrivals at a fixed rate: bot i is intended to arrive at start + i / rate. Shared by
// the scenarios that first fill their rooms.
import type { Bot } from '../bot.js';
import type { RunContext } from '../runContext.js';
import { FixedRateSchedule } from '../schedule.js';

/** Joins `bots` at the run's arrival rate; resolves when every arrival succeeded or failed. */
export async function arriveAll(ctx: RunContext, bots: readonly Bot[], startMs = ctx.startMs): Promise<void> {
  const arrivals: Promise<boolean>[] = [];
  const schedule = new FixedRateSchedule({
    startMs,
    perSecond: ctx.options.rate,
    count: bots.length,
    endMs: ctx.deadlineMs,
    fire: (i, intendedMs) => arrivals.push(ctx.arrive(bots[i]!, intendedMs)),
  }).start();
  void ctx.stopped.then(() => schedule.stop());
  await schedule.done;
  await Promise.all(arrivals);
}

/**
 * Each joined bot sends a request `perClient` times a second, phase-shifted so the
 * aggregate is one evenly spaced schedule: request i goes to bots[i % n]. Runs until
 * `endMs` or the run stops; `send` gets the bot, its own request number and the intended time.
 */
export function perClientSchedule(
  ctx: RunContext,
  bots: readonly Bot[],
  perClient: number,
  endMs: number,
  send: (bot: Bot, seq: number, intendedMs: number) => void,
): FixedRateSchedule | undefined {
  if (perClient <= 0 || bots.length === 0) return undefined;
  const n = bots.length;
  const schedule = new FixedRateSchedule({
    startMs: performance.now(),
    perSecond: perClient * n,
    endMs,
    fire: (i, intendedMs) => send(bots[i % n]!, Math.floor(i / n), intendedMs),
  }).start();
  void ctx.stopped.then(() => schedule.stop());
  return schedule;
}

/** Pings from joined bots at --message-rate, measured from the intended send time. */
export function pingLoad(ctx: RunContext, bots: readonly Bot[], endMs: number): FixedRateSchedule | undefined {
  return perClientSchedule(ctx, bots, ctx.options.messageRate, endMs, (bot, _seq, intendedMs) => {
    if (!bot.joined) return;
    bot.request(
      (id) => ctx.wire.pingFrame(id),
      (r) => {
        const failure = r instanceof Error ? r.code : r.ok ? undefined : `response:${r.code ?? 'UNKNOWN'}`;
        if (ctx.stopping || failure === 'aborted') return;
        if (failure === undefined) ctx.metrics.record('request', performance.now() - intendedMs);
        else ctx.metrics.error(failure);
      },
    );
  });
}
