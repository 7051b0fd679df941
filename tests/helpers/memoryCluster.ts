// Nodes of a cluster in one process, for unit tests of the cluster's parts: memory states
// on one backend, a clock the test moves, and the bus plumbing every part takes.
import { BusCodec, type BusRejection } from '../../signaling/cluster/busMessages.js';
import { BusRejections } from '../../signaling/cluster/busRejections.js';
import { MemoryBackend, MemoryClusterState } from '../../signaling/cluster/memoryState.js';
import { NodeLiveness, type DeathJudge, type NodeLivenessOptions } from '../../signaling/cluster/nodeLiveness.js';
import { createLogger, type Logger } from '../../signaling/log.js';

export const BUS_SECRET = 'unit-test-bus-secret-at-least-32-characters';

export function memoryCluster() {
  let now = 1_000_000;
  const clock = () => now;
  const backend = new MemoryBackend(clock);
  const states: MemoryClusterState[] = [];
  const rejected: BusRejection[] = [];
  return {
    backend,
    now: clock,
    elapse(ms: number): void {
      now += ms;
    },
    /** The shared state of one node; while it is open, the node "holds its Redis connections". */
    state(nodeId: string): MemoryClusterState {
      const state = new MemoryClusterState(backend, { nodeId });
      states.push(state);
      return state;
    },
    codec: (): BusCodec => new BusCodec(BUS_SECRET, { now: clock }),
    /** Every dropped bus message lands in `rejected`. */
    rejections: (nodeId: string, log: Logger = createLogger('silent')): BusRejections => new BusRejections(nodeId, log, (reason) => rejected.push(reason), clock),
    rejected,
    async close(): Promise<void> {
      await Promise.all(states.map((s) => s.close()));
    },
  };
}

/** Lets the memory bus deliver what was published (it delivers on a microtask) and handlers answer. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A logger that keeps its lines (parsed), for tests of what is logged. */
export function recordingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

/** Beat interval and dead-after of the nodes `livenessOf` builds. */
export const BEAT_MS = 250;
export const DEAD_AFTER_MS = 1000;

type Cluster = ReturnType<typeof memoryCluster>;

/** Node liveness for `nodeId` on the cluster's clock; deaths land in `deaths`. */
export function livenessOf(cluster: Cluster, nodeId: string, options: Partial<NodeLivenessOptions> & { log?: Logger } = {}) {
  const state = cluster.state(nodeId);
  const deaths: { dead: string[]; judgedBy: DeathJudge }[] = [];
  const liveness = new NodeLiveness(
    state,
    cluster.codec(),
    cluster.rejections(nodeId),
    nodeId,
    {
      self: () => ({ id: nodeId, signalingUrl: `http://${nodeId}`, mediaAddress: '127.0.0.1', participants: 0, cpu: 0, acceptingRooms: true }),
      nodeTtlMs: 60_000,
      beatIntervalMs: BEAT_MS,
      deadAfterMs: DEAD_AFTER_MS,
      peersInUse: () => [],
      healthySince: () => Number.NEGATIVE_INFINITY,
      onPeersDied: async (dead, judgedBy) => void deaths.push({ dead: [...dead].sort(), judgedBy }),
      now: cluster.now,
      ...options,
    },
    options.log ?? createLogger('silent'),
  );
  return { state, liveness, deaths };
}

/** `ms` of beats, one interval at a time, from each of `nodes`, as the bus delivers them. */
export async function beatFor(cluster: Cluster, nodes: NodeLiveness[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += BEAT_MS) {
    cluster.elapse(BEAT_MS);
    for (const n of nodes) await n.beat();
    await settle();
  }
}
