// What every scenario shares in one run: the bots, their tokens, who is in which room,
// the metrics, and the deadline. `arrive` is the one way a bot enters a room, so connect
// and join are measured the same way everywhere.
import { Bot, LoadError, type BotContext } from './bot.js';
import { FanoutTracker } from './fanoutTracker.js';
import { MediaLoad } from './media/mediaLoad.js';
import { Metrics, type LatencyName } from './metrics.js';
import type { LoadOptions } from './options.js';
import type { Wire } from './wire.js';

export class RunContext {
  readonly metrics = new Metrics();
  readonly fanout: FanoutTracker;
  readonly bots: Bot[];
  /** Media mode's peers (--media), else undefined. */
  readonly media: MediaLoad | undefined;
  /**
   * Media mode: the last audio mute state each receiver saw from each sender.
   * `participant-updated` then also announces publishing changes, and only a change of
   * the mute state is a fan-out delivery. Everyone starts unmuted.
   */
  private readonly muteSeen = new Map<Bot, Map<string, boolean>>();
  /** Joined bots by room. */
  private readonly members = new Map<string, Set<Bot>>();
  /** performance.now() when the measured schedule starts. */
  readonly startMs: number;
  readonly deadlineMs: number;
  /** Resolves once the run must stop (deadline or interrupt). */
  readonly stopped: Promise<void>;
  stopping = false;
  interrupted = false;
  private stopTimer: NodeJS.Timeout;
  private resolveStopped!: () => void;

  constructor(
    readonly options: LoadOptions,
    readonly wire: Wire,
    private readonly tokens: readonly string[],
    signal: AbortSignal | undefined,
  ) {
    this.fanout = new FanoutTracker(this.metrics);
    const botContext: BotContext = {
      wire,
      metrics: this.metrics,
      url: options.url,
      timeoutMs: options.timeoutMs,
      onFanout: (receiver, d, atMs) => {
        if (!receiver.joined || !this.isMuteChange(receiver, d.sender, d.state)) return;
        this.fanout.delivered(receiver, d.sender, d.seq, d.state, atMs);
      },
    };
    this.bots = Array.from(
      { length: options.clients },
      (_, i) => new Bot(i, roomOf(options, i), identityOf(options, i), botContext),
    );
    this.media = options.media ? new MediaLoad({ ...options, media: options.media }, this.bots, this.metrics) : undefined;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.startMs = performance.now() + 20;
    this.deadlineMs = this.startMs + options.duration * 1000;
    this.stopTimer = this.armDeadline();
    signal?.addEventListener('abort', () => this.stop(true), { once: true });
    if (signal?.aborted) this.stop(true);
  }

  /** Node's timers may fire up to a millisecond before performance.now() says the delay
   * has passed; a run of --duration 2 must not end at 1,999 ms, so re-arm until it has. */
  private armDeadline(): NodeJS.Timeout {
    return setTimeout(() => {
      if (this.remainingMs() > 0) this.stopTimer = this.armDeadline();
      else this.stop(false);
    }, Math.max(1, Math.ceil(this.remainingMs())));
  }

  stop(interrupted: boolean): void {
    if (this.stopping) return;
    this.stopping = true;
    this.interrupted = interrupted;
    clearTimeout(this.stopTimer);
    this.resolveStopped();
  }

  /** Time left before the deadline, in ms. */
  remainingMs(): number {
    return this.deadlineMs - performance.now();
  }

  /** Joined bots in a room. */
  roomMembers(room: string): ReadonlySet<Bot> {
    return this.members.get(room) ?? new Set();
  }

  get joinedCount(): number {
    let n = 0;
    for (const bot of this.bots) if (bot.joined) n++;
    return n;
  }

  /**
   * Connects and joins one bot, measuring both from `intendedMs`. Resolves true when the
   * bot is in its room; failures are counted by code and resolve false.
   */
  async arrive(bot: Bot, intendedMs: number, latency: LatencyName = 'join'): Promise<boolean> {
    if (this.stopping) return false;
    try {
      await bot.connect();
      this.metrics.record('connect', performance.now() - intendedMs);
      if (this.stopping) return false;
      await bot.join(this.tokens[bot.index] ?? '');
      this.metrics.record(latency, performance.now() - intendedMs);
      this.metrics.joins++;
      let set = this.members.get(bot.room);
      if (!set) this.members.set(bot.room, (set = new Set()));
      set.add(bot);
      this.media?.joined(bot);
      return true;
    } catch (err) {
      const code = err instanceof LoadError ? err.code : 'internal';
      if (!this.stopping && code !== 'aborted') this.metrics.error(code);
      // A refused join is counted once, under the close that followed it (Bot.join); a
      // response:<CODE> is a refusal the server did not close on: its socket stays its to end.
      if (!code.startsWith('response:')) bot.drop();
      return false;
    }
  }

  private isMuteChange(receiver: Bot, sender: string, state: boolean | undefined): boolean {
    if (!this.media || state === undefined) return true;
    let seen = this.muteSeen.get(receiver);
    if (!seen) this.muteSeen.set(receiver, (seen = new Map()));
    if ((seen.get(sender) ?? false) === state) return false;
    seen.set(sender, state);
    return true;
  }

  /** Takes a bot out of its room's member list (before it leaves or drops). */
  departed(bot: Bot): void {
    this.members.get(bot.room)?.delete(bot);
  }

  /** Closes every socket; bounded by the per-operation timeout (at most 3 s). */
  async closeAll(): Promise<void> {
    for (const bot of this.bots) this.departed(bot);
    const timeout = Math.min(this.options.timeoutMs, 3000);
    await Promise.race([Promise.all(this.bots.map((b) => b.close())), new Promise((r) => setTimeout(r, timeout).unref())]);
    for (const bot of this.bots) bot.drop();
  }
}

export function roomOf(options: LoadOptions, index: number): string {
  return `${options.roomPrefix}-r${index % options.rooms}`;
}

export function identityOf(options: LoadOptions, index: number): string {
  return `${options.roomPrefix}-c${index}`;
}
