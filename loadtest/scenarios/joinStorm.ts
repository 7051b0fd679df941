// Join storm: --clients bots join --rooms rooms at --rate arrivals per second and stay
// until the deadline (optionally pinging at --message-rate), so the run ends holding
// every connection that made it in.
import type { RunContext } from '../runContext.js';
import { arriveAll, pingLoad } from './arrivals.js';

export async function joinStorm(ctx: RunContext): Promise<void> {
  pingLoad(ctx, ctx.bots, ctx.deadlineMs);
  await arriveAll(ctx, ctx.bots);
  await ctx.stopped;
}
