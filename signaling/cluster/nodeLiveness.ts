// Which peers live, as this node sees them, and this node's own signs of life. Two judges:
// beats on the bus (liveness.ts: a kill is seen within NODE_DEAD_AFTER_MS) and the node
// registry (a node missing from it twice in a row, NODE_TTL_MS: the slow judge for peers
// never heard on the bus). A peer silent on the bus is asked about once more: if its
// process still holds its Redis connections it is only paused (a long GC, a starved
// machine) and keeps its rooms; only once they are gone is it dead. Deaths are told to
// `onPeersDied`; what to do about them (move rooms, fail requests) is the caller's.
import type { Logger } from '../log.js';
import type { BusCodec } from './busMessages.js';
import type { BusRejections } from './busRejections.js';
import { Keys } from './keys.js';
import { Liveness } from './liveness.js';
import type { ClusterState, NodeInfo } from './types.js';

export type DeathJudge = 'registry' | 'beats';

export interface NodeLivenessOptions {
  /** This node as the registry shows it, without its heartbeat time. */
  self: () => Omit<NodeInfo, 'heartbeatAt'>;
  /** A node that has not heartbeated for this long is gone. */
  nodeTtlMs: number;
  beatIntervalMs: number;
  deadAfterMs: number;
  /** The peers this node depends on now: owners of its relayed members, edges of its own rooms' members. */
  peersInUse: () => Iterable<string>;
  /** When shared state last came back after an outage (-Infinity: never away). */
  healthySince: () => number;
  onPeersDied: (dead: ReadonlySet<string>, judgedBy: DeathJudge) => Promise<void>;
  now?: () => number;
}

export class NodeLiveness {
  /** Peers judged from their beats on the bus: dead within deadAfterMs of a kill. */
  private readonly beats: Liveness;
  /** Nodes missing from the registry at the last check: gone if still missing at the next. */
  private suspects = new Set<string>();
  /** Peers judged paused at the last beat (silent, still connected): logged once per pause. */
  private pausedPeers = new Set<string>();
  /** Peers judged dead at the last beat (silent, connections gone): their leases may be handed over at once. */
  private deadPeers = new Set<string>();
  private clientListDenied = false;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly now: () => number;

  constructor(
    private readonly state: ClusterState,
    private readonly codec: BusCodec,
    private readonly rejections: BusRejections,
    private readonly nodeId: string,
    private readonly options: NodeLivenessOptions,
    private readonly log: Logger,
  ) {
    this.beats = new Liveness(nodeId, { beatIntervalMs: options.beatIntervalMs, deadAfterMs: options.deadAfterMs });
    this.now = options.now ?? Date.now;
  }

  /** Hears beats (ours among them). */
  async start(): Promise<void> {
    this.unsubscribe = await this.state.bus.subscribe(Keys.beats(), (payload) => this.onBeat(payload));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  /** Silent on the bus now, whether dead or only paused: such a node takes no new room. */
  isSilent(nodeId: string): boolean {
    return this.beats.isDead(nodeId, this.now());
  }

  /** Silent, and its connections were gone at the last beat: its leases need not run out. */
  isDead(nodeId: string): boolean {
    return this.deadPeers.has(nodeId) && this.isSilent(nodeId);
  }

  /** Registers (or refreshes) this node in the registry, with its load. */
  async heartbeat(): Promise<void> {
    await this.state.nodes.heartbeat({ ...this.options.self(), heartbeatAt: this.now() }, this.options.nodeTtlMs);
  }

  /** Our beat, and the peers whose beats stopped (faster than the registry). */
  async beat(): Promise<void> {
    await this.state.bus.publish(Keys.beats(), this.codec.encode({ t: 'beat', from: this.nodeId }));
    const silent = this.beats.dead(this.now());
    if (silent.length > 0) await this.silentPeers(silent);
    else this.deadPeers = this.pausedPeers = new Set();
  }

  /**
   * Peers the registry no longer lists. A node must be missing twice in a row: one late
   * heartbeat (a busy event loop) is not a death.
   */
  async watchPeers(): Promise<void> {
    // Without shared state, or just after it returned (before every node heartbeated
    // again), absence from the registry proves nothing.
    if (!this.state.healthy() || this.now() - this.options.healthySince() < this.options.nodeTtlMs) return;
    const listed = new Set((await this.state.nodes.list()).map((n) => n.id));
    listed.add(this.nodeId);
    const missing = new Set<string>();
    for (const id of this.options.peersInUse()) if (!listed.has(id)) missing.add(id);
    const dead = new Set<string>();
    for (const id of missing) if (this.suspects.has(id)) dead.add(id);
    this.suspects = missing;
    if (dead.size > 0) await this.options.onPeersDied(dead, 'registry');
  }

  /**
   * Peers whose beats stopped: dead if their process no longer holds its Redis connections
   * (a kill closes them at once). One that still holds them is paused and keeps its rooms;
   * if it never wakes, the registry's NODE_TTL_MS and the leases judge it. Where Redis
   * cannot list its clients, silence alone judges.
   */
  private async silentPeers(silent: readonly string[]): Promise<void> {
    const connected = await this.state.nodes.connected(silent);
    if (connected === undefined && !this.clientListDenied) {
      this.clientListDenied = true;
      this.log.warn('Redis refuses CLIENT LIST: a peer silent for NODE_DEAD_AFTER_MS is judged dead even if only paused', { node: this.nodeId });
    }
    const dead = silent.filter((id) => !connected?.has(id));
    for (const id of silent) {
      if (connected?.has(id) && !this.pausedPeers.has(id)) this.log.warn('peer silent on the bus but still connected to Redis: judged paused, its rooms stay', { node: this.nodeId, peer: id });
    }
    this.pausedPeers = new Set(connected ?? []);
    this.deadPeers = new Set(dead);
    if (dead.length > 0) await this.options.onPeersDied(new Set(dead), 'beats');
  }

  private onBeat(payload: string): void {
    const decoded = this.codec.decode(payload);
    if (!decoded.ok) return this.rejections.rejected(decoded.reason, decoded.detail, payload.length);
    if (decoded.message.t !== 'beat') return this.rejections.rejected('schema', `${decoded.message.t} on the beats channel`, payload.length);
    this.beats.heard(decoded.message.from, this.now());
  }
}

