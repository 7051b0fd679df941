// Periodic work over every open socket, spread over its interval. One synchronous pass over
// 10,000 sockets (a ping each) held the event loop for tens of milliseconds every interval,
// and every join arriving meanwhile waited (issue 15). Here a round visits each member once
// per interval, a slice per tick.

/** Ticks per interval: each tick visits about 1/SLICES of the members. */
const SLICES = 20;

export interface Sweep {
  stop(): void;
}

/**
 * Every `intervalMs`, visits each item of `members()` once, in SLICES ticks. A round takes
 * its snapshot at its first tick; an item gone by its turn (`stillThere` false) is skipped,
 * and one that arrived since waits for the next round. `visit` must not throw.
 */
export function spreadSweep<T>(intervalMs: number, members: () => Iterable<T>, stillThere: (item: T) => boolean, visit: (item: T) => void): Sweep {
  let round: T[] = [];
  let next = 0;
  let tick = 0;
  const timer = setInterval(() => {
    if (tick === 0) {
      round = [...members()];
      next = 0;
    }
    tick = (tick + 1) % SLICES;
    // The last tick of a round takes whatever is left.
    const end = tick === 0 ? round.length : Math.min(round.length, next + Math.ceil(round.length / SLICES));
    for (; next < end; next++) {
      const item = round[next]!;
      if (stillThere(item)) visit(item);
    }
    if (tick === 0) round = [];
  }, intervalMs / SLICES);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
