// Where a room lives. A room has one owner, recorded as a lease in shared state; a room
// without one goes to the least loaded live node that takes rooms. A lease held by a peer
// known dead (silent on the bus and its Redis connections gone) is handed over at once; one
// held by a peer that is only paused, or only missing from the registry, is waited out, so a
// GC pause never moves a room under a live call.
import type { Logger } from '../log.js';
import type { ClusterState, NodeInfo } from './types.js';

/** What placement asks of liveness (nodeLiveness.ts). */
export interface PeerJudge {
  /** Silent on the bus, dead or paused: takes no new room. */
  isSilent(nodeId: string): boolean;
  /** Known dead: its leases may be taken over. */
  isDead(nodeId: string): boolean;
}

export interface PlacementOptions {
  nodeId: string;
  leaseTtlMs: number;
  nodeTtlMs: number;
  /** False while this node drains: it takes a room only if nobody else does. */
  accepting: () => boolean;
  /** When shared state last came back after an outage (-Infinity: never away). */
  healthySince: () => number;
  now?: () => number;
}

/** How often a join re-reads a lease held by a node missing from the registry. */
const ORPHAN_LEASE_POLL_MS = 200;

export class Placement {
  private readonly now: () => number;

  constructor(
    private readonly state: ClusterState,
    private readonly peers: PeerJudge,
    private readonly options: PlacementOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The room's owner, placing the room on the least loaded live node if it has none. */
  async placeRoom(room: string): Promise<string> {
    const { nodeId, leaseTtlMs, nodeTtlMs } = this.options;
    const deadline = this.now() + leaseTtlMs + nodeTtlMs;
    for (;;) {
      const owner = await this.state.leases.owner(room);
      if (owner) {
        if (owner === nodeId) return owner;
        if (this.peers.isDead(owner)) {
          // Its beats stopped while ours went on, and its Redis connections are gone: hand
          // the lease over now rather than wait for it to run out (compare-and-delete, so a
          // newer owner is left alone). A paused owner keeps its lease.
          this.log.info('room owner is dead; taking the room over', { room, owner });
          await this.state.leases.release(room, owner);
          continue;
        }
        if (await this.state.nodes.get(owner)) return owner;
        // Held by a node that died: the lease runs out soon, then the room moves.
        if (this.now() > deadline) throw new Error(`room ${room} is held by dead node ${owner}`);
        await sleep(ORPHAN_LEASE_POLL_MS);
        continue;
      }
      // Just after Redis came back, owners have not re-taken their leases yet.
      const settling = this.options.healthySince() + leaseTtlMs - this.now();
      if (settling > 0) {
        await sleep(settling);
        continue;
      }
      // A silent node, dead or paused, takes no new room.
      const candidates = (await this.state.nodes.list()).filter((n) => n.acceptingRooms && !this.peers.isSilent(n.id));
      const chosen = pickLeastLoaded(candidates) ?? (this.options.accepting() ? nodeId : undefined);
      if (!chosen) throw new Error('no node accepts rooms');
      return this.state.leases.acquire(room, chosen, leaseTtlMs);
    }
  }
}

/** Fewest participants first, then least CPU, then id (so every node picks alike). */
export function pickLeastLoaded(nodes: NodeInfo[]): string | undefined {
  const sorted = [...nodes].sort((a, b) => a.participants - b.participants || a.cpu - b.cpu || a.id.localeCompare(b.id));
  return sorted[0]?.id;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
