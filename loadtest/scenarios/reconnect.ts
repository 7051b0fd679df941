// Reconnect storm: everyone joins; then every --storm-interval seconds every socket is
// dropped at once without a close frame (as a network failure would) and every bot
// rejoins with its token at --rate per second. A rejoin is measured from its intended
// time on that schedule, starting at the drop.
import type { RunContext } from '../runContext.js';
import { arriveAll, pingLoad } from './arrivals.js';

export async function reconnect(ctx: RunContext): Promise<void> {
  pingLoad(ctx, ctx.bots, ctx.deadlineMs);
  await arriveAll(ctx, ctx.bots);
  const stormInterval = ctx.options.stormInterval * 1000;
  let next = performance.now() + stormInterval;
  while (!ctx.stopping) {
    const wait = next - performance.now();
    // Only start a storm that can finish: every rejoin at --rate, and a second to spare.
    const rejoinMs = (ctx.joinedCount * 1000) / ctx.options.rate;
    if (wait + rejoinMs + 1000 >= ctx.remainingMs()) break;
    await Promise.race([new Promise((r) => setTimeout(r, Math.max(0, wait)).unref()), ctx.stopped]);
    if (ctx.stopping) break;
    const stormAt = performance.now();
    const victims = ctx.bots.filter((b) => b.joined);
    for (const bot of victims) {
      ctx.departed(bot);
      bot.drop();
    }
    const rejoins: Promise<boolean>[] = [];
    victims.forEach((bot, i) => {
      const intendedMs = stormAt + (i * 1000) / ctx.options.rate;
      rejoins.push(
        new Promise((r) => setTimeout(r, Math.max(0, intendedMs - performance.now())).unref()).then(() => ctx.arrive(bot, intendedMs, 'reconnect')),
      );
    });
    await Promise.race([Promise.all(rejoins), ctx.stopped]);
    next = stormAt + stormInterval;
  }
  await ctx.stopped;
}
