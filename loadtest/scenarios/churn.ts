// Churn: bots join and leave in a loop. Operation i (at --rate per second) belongs to
// bot i % clients: a bot that is out joins; a bot that is in leaves and joins again at
// once. Leave is measured from the operation's intended time; the rejoin from the moment
// the leave completed (the same person cannot arrive before they left).
import type { Bot } from '../bot.js';
import type { RunContext } from '../runContext.js';
import { FixedRateSchedule } from '../schedule.js';

export async function churn(ctx: RunContext): Promise<void> {
  // One chain per bot keeps its operations in order; a late one is measured from its intended time.
  const chains = new Map<Bot, Promise<void>>();
  const schedule = new FixedRateSchedule({
    startMs: ctx.startMs,
    perSecond: ctx.options.rate,
    endMs: ctx.deadlineMs,
    fire: (i, intendedMs) => {
      const bot = ctx.bots[i % ctx.bots.length]!;
      const previous = chains.get(bot) ?? Promise.resolve();
      chains.set(bot, previous.then(() => cycle(ctx, bot, intendedMs)));
    },
  }).start();
  void ctx.stopped.then(() => schedule.stop());
  await ctx.stopped;
}

async function cycle(ctx: RunContext, bot: Bot, intendedMs: number): Promise<void> {
  if (ctx.stopping) return;
  let arriveFrom = intendedMs;
  if (bot.joined) {
    ctx.departed(bot);
    const code = await bot.leave();
    if (ctx.stopping) return;
    if (code !== 1000) ctx.metrics.error(`leave:${code}`);
    arriveFrom = performance.now();
    ctx.metrics.record('leave', arriveFrom - intendedMs);
  }
  await ctx.arrive(bot, arriveFrom);
}
