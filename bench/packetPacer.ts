// Sends packets at a fixed rate from a coarse timer. Node timers fire every few ms at
// best, so each tick sends however many packets are due since the start instead of one
// packet per tick; the average rate is exact and bursts stay a few ms long.

/** How often the pacer wakes; shorter costs CPU in the bots, longer makes bigger bursts. */
const TICK_MS = 5;

export interface Pacer {
  /** Packets handed to `send` so far. */
  readonly sent: number;
  stop(): void;
}

/** Calls `send(i)` for packet i = 0, 1, 2, ... at `packetsPerSecond`. */
export function startPacer(packetsPerSecond: number, send: (index: number) => void): Pacer {
  const started = performance.now();
  let sent = 0;
  /** Packets never sent because the pacer fell behind; they are not counted as sent. */
  let skipped = 0;
  // After a long stall (GC, a busy machine) send at most 100 ms worth at once: a flood
  // would distort the measurement more than the few packets the stall cost.
  const limit = Math.max(1, Math.ceil(packetsPerSecond / 10));
  const timer = setInterval(() => {
    let due = Math.floor(((performance.now() - started) / 1000) * packetsPerSecond) - skipped;
    if (due - sent > limit) {
      skipped += due - sent - limit;
      due = sent + limit;
    }
    while (sent < due) send(sent++);
  }, TICK_MS);
  return {
    get sent() {
      return sent;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
