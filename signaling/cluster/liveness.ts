// Which peer nodes are dead, judged from beats on the bus rather than the registry's TTL.
// Every node publishes a small signed beat every `beatIntervalMs` on one channel that all
// nodes read, its own included. A peer is dead once it has been silent for `deadAfterMs`
// while the bus went on carrying our own beats without a gap over that whole time: so a
// Redis outage (nothing arrives, ours neither) or a pause of our own event loop (our beats
// stop too) never makes a peer look dead. A peer's own pause looks the same as its death
// here: the cluster service asks the state whether the silent peer still holds its Redis
// connections (NodeRegistry.connected) before it moves that peer's rooms. The registry's
// NODE_TTL_MS stays the slower judge for peers never heard on the bus, and for paused ones.
//
// Pure bookkeeping on times the caller gives, so it is tested with a moved clock.

export interface LivenessOptions {
  /** How often every node beats. */
  beatIntervalMs: number;
  /** Silence after which a peer is dead (while our own beats keep arriving). */
  deadAfterMs: number;
  /** At most this many peers are remembered (a bound on what bus traffic can make us hold). */
  maxPeers?: number;
}

/** Our own beats count as continuous while no two arrive further apart than this many intervals. */
const GAP_INTERVALS = 2.5;
const DEFAULT_MAX_PEERS = 1024;

export class Liveness {
  /** Last beat heard from each peer (ms, caller's clock). */
  private readonly lastBeat = new Map<string, number>();
  /** Our own last beat heard back from the bus, and since when they have come without a gap. */
  private ownLast: number | undefined;
  private ownContinuousSince: number | undefined;

  constructor(
    private readonly selfId: string,
    private readonly options: LivenessOptions,
  ) {
    if (!(options.deadAfterMs >= options.beatIntervalMs * GAP_INTERVALS)) {
      throw new RangeError(`deadAfterMs (${options.deadAfterMs}) must be at least ${GAP_INTERVALS} beat intervals (${options.beatIntervalMs * GAP_INTERVALS} ms)`);
    }
  }

  /** A beat from `nodeId` arrived at `now`. */
  heard(nodeId: string, now: number): void {
    if (nodeId === this.selfId) {
      const gap = this.ownLast === undefined ? Infinity : now - this.ownLast;
      if (gap > this.options.beatIntervalMs * GAP_INTERVALS) this.ownContinuousSince = now;
      this.ownLast = now;
      return;
    }
    if (!this.lastBeat.has(nodeId) && this.lastBeat.size >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS)) this.forgetOldest();
    this.lastBeat.delete(nodeId);
    this.lastBeat.set(nodeId, now);
  }

  /**
   * True when the peer beat before, has been silent for deadAfterMs, and our own beats
   * came without a gap from before its last one until now. A peer never heard is not
   * judged here (false).
   */
  isDead(nodeId: string, now: number): boolean {
    if (nodeId === this.selfId) return false;
    const last = this.lastBeat.get(nodeId);
    if (last === undefined || this.ownLast === undefined || this.ownContinuousSince === undefined) return false;
    const busFlowing = now - this.ownLast <= this.options.beatIntervalMs * GAP_INTERVALS;
    return busFlowing && this.ownContinuousSince <= last && now - last >= this.options.deadAfterMs;
  }

  /** Peers heard at some time and dead now. */
  dead(now: number): string[] {
    return [...this.lastBeat.keys()].filter((id) => this.isDead(id, now));
  }

  /** Drops what is known of a peer (it left the cluster). */
  forget(nodeId: string): void {
    this.lastBeat.delete(nodeId);
  }

  private forgetOldest(): void {
    // Map order is insertion order, and heard() re-inserts: the first key is the stalest.
    const oldest = this.lastBeat.keys().next();
    if (!oldest.done) this.lastBeat.delete(oldest.value);
  }
}
