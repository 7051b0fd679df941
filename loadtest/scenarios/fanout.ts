// Steady fan-out: everyone joins, then every member sends --message-rate messages a
// second to its room (over our protocol a `mute` toggle, broadcast by the server as
// `participant-updated`; see wire.ts) and every other member must receive each one.
// Sending stops a little before the deadline so what is in flight can arrive; the run
// itself (run.ts) holds everyone until the deadline.
import type { RunContext } from '../runContext.js';
import { arriveAll, perClientSchedule } from './arrivals.js';

/** Time kept at the end of the run for the last messages to arrive. */
export function drainMs(durationS: number): number {
  return Math.min(2000, Math.max(300, durationS * 100));
}

export async function fanout(ctx: RunContext): Promise<void> {
  await arriveAll(ctx, ctx.bots);
  if (ctx.stopping) return;
  const senders = ctx.bots.filter((b) => b.joined);
  const sendUntil = ctx.deadlineMs - drainMs(ctx.options.duration);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const schedule = perClientSchedule(ctx, senders, ctx.options.messageRate, sendUntil, (bot, seq, intendedMs) => {
    const sender = bot.participantId;
    if (!bot.joined || sender === undefined || !ctx.fanout.counting(sender)) return;
    let receivers = 0;
    for (const member of ctx.roomMembers(bot.room)) if (member !== bot && member.joined) receivers++;
    ctx.fanout.sent(sender, seq, intendedMs, receivers);
    bot.request(
      (id) => ctx.wire.fanoutFrame(id, sender, seq),
      (r) => {
        const failure = r instanceof Error ? r.code : r.ok ? undefined : `response:${r.code ?? 'UNKNOWN'}`;
        if (ctx.stopping || failure === 'aborted') return;
        if (failure === undefined) return ctx.metrics.record('request', performance.now() - intendedMs);
        ctx.metrics.error(failure);
        ctx.fanout.failed(sender, seq);
      },
    );
  });
  if (!schedule) return;
  await schedule.done;
  const cpu = process.cpuUsage(cpu0);
  ctx.metrics.fanoutGeneratorCpuPercent = ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - t0)) * 100;
  await Promise.race([ctx.fanout.allDelivered(), ctx.stopped]);
}
