// Nodes of a cluster in one process, for unit tests of the cluster's parts: memory states
// on one backend, a clock the test moves, and the bus plumbing every part takes.
import { BusCodec, type BusMessage, type BusRejection } from '../../signaling/cluster/busMessages.js';
import { BusRejections } from '../../signaling/cluster/busRejections.js';
import { MemoryBackend, MemoryClusterState } from '../../signaling/cluster/memoryState.js';
import { NodeLiveness, type DeathJudge, type NodeLivenessOptions } from '../../signaling/cluster/nodeLiveness.js';
import { RoomOwner } from '../../signaling/cluster/roomOwner.js';
import { createLogger, type Logger } from '../../signaling/log.js';
import type { ServerMessage } from '../../signaling/protocol.js';
import { RoomDirectory, type MemberSink } from '../../signaling/room.js';
import { LocalRoomService } from '../../signaling/roomService.js';
import { FakeMediaPlane } from './fakeMedia.js';

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

/** A member's socket as a room sees it: what it was sent, and how it ended. */
export function recordingSink(): MemberSink & { got: ServerMessage[]; moves: number; replacements: number; failures: string[] } {
  const sink = {
    got: [] as ServerMessage[],
    failures: [] as string[],
    moves: 0,
    replacements: 0,
    send: (m: ServerMessage) => void sink.got.push(m),
    mediaFailed: (reason: string) => void sink.failures.push(reason),
    replaced: () => void sink.replacements++,
    moved: () => void sink.moves++,
  };
  return sink;
}

/** Lease period of the owners `ownerOf` builds. */
export const LEASE_MS = 4000;

/** The room owner of `nodeId` over fake media, on the cluster's clock; what it sends other nodes lands in `sent`. */
export function ownerOf(cluster: Cluster, nodeId: string, options: { maxParticipants?: number; resumeGraceMs?: number; media?: FakeMediaPlane; log?: Logger } = {}) {
  const state = cluster.state(nodeId);
  const media = options.media ?? new FakeMediaPlane();
  const rooms = new RoomDirectory(media, options.maxParticipants ?? 16);
  const local = new LocalRoomService(rooms, options.resumeGraceMs ?? 30_000);
  const sent: { node: string; message: BusMessage }[] = [];
  const send = async (node: string, message: BusMessage): Promise<void> => void sent.push({ node, message });
  const owner = new RoomOwner(state, local, { nodeId, leaseTtlMs: LEASE_MS, send, now: cluster.now }, options.log ?? createLogger('silent'));
  return { state, media, rooms, local, owner, sent };
}
