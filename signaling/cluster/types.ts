// What the cluster needs from shared state: a registry of live nodes, room ownership
// leases, room rosters, resume tokens, chat history and a message bus between nodes. One node uses the
// in-memory implementation; several nodes share Redis. `createClusterState` (state.ts)
// is the one place that chooses.
import type { ChatMessage } from '../protocol.js';

/** A live node as others see it in the registry. */
export interface NodeInfo {
  id: string;
  /** Where clients and other nodes reach this node's HTTP/WebSocket (informational). */
  signalingUrl: string;
  /** The address browsers send media to (its announced IP). */
  mediaAddress: string;
  /** Participants whose media this node carries. */
  participants: number;
  /** Process CPU use over the last heartbeat interval, 0..1 per core. */
  cpu: number;
  /** False while draining: such a node takes no new rooms. */
  acceptingRooms: boolean;
  /** Milliseconds since the epoch of the last heartbeat. */
  heartbeatAt: number;
}

export interface NodeRegistry {
  /** Registers or refreshes this node; it drops out unless refreshed within ttlMs. */
  heartbeat(info: NodeInfo, ttlMs: number): Promise<void>;
  /** Live nodes (whose heartbeat has not expired). */
  list(): Promise<NodeInfo[]>;
  get(nodeId: string): Promise<NodeInfo | undefined>;
  remove(nodeId: string): Promise<void>;
  /**
   * Of these nodes, those whose process holds a connection to the store right now; undefined
   * when the store cannot say (CLIENT LIST denied). A stalled process keeps its connections,
   * a killed one loses them at once: this is how a pause is told from a death (liveness.ts).
   */
  connected(nodeIds: readonly string[]): Promise<ReadonlySet<string> | undefined>;
}

export interface RoomLeases {
  /**
   * Takes the room for nodeId unless another node holds it; atomic, so a room never has
   * two owners. Returns the owner after the call (nodeId on success).
   */
  acquire(room: string, nodeId: string, ttlMs: number): Promise<string>;
  /** Extends our lease; false when we no longer hold it (expired and taken, or released). */
  renew(room: string, nodeId: string, ttlMs: number): Promise<boolean>;
  owner(room: string): Promise<string | undefined>;
  /** Drops our lease (compare-and-delete: another node's lease is left alone). */
  release(room: string, nodeId: string): Promise<void>;
}

/** One participant of a room as the roster records it. */
export interface RosterEntry {
  participantId: string;
  identity: string;
  name: string;
  /** The node holding the participant's signaling socket. */
  edgeNodeId: string;
  joinedAt: number;
}

export interface Roster {
  /** Adds or refreshes an entry; entries expire after ttlMs unless refreshed. */
  put(room: string, entry: RosterEntry, ttlMs: number): Promise<void>;
  remove(room: string, participantId: string): Promise<void>;
  list(room: string): Promise<RosterEntry[]>;
}

/** What a resume token gives back: the participant's identity and place. */
export interface ResumeRecord {
  room: string;
  participantId: string;
  identity: string;
  name: string;
}

export interface ResumeTokens {
  put(token: string, record: ResumeRecord, ttlMs: number): Promise<void>;
  get(token: string): Promise<ResumeRecord | undefined>;
  delete(token: string): Promise<void>;
  /** Extends the lives of many records at once, unchanged; a token already gone stays gone. */
  extend(tokens: readonly string[], ttlMs: number): Promise<void>;
}

/** A room's latest chat messages, kept with the room so a new owner (after a failover) still has them. */
export interface ChatHistory {
  /** Appends a message, keeps only the newest `keep`, and lets the history expire ttlMs after the last message. */
  append(room: string, message: ChatMessage, keep: number, ttlMs: number): Promise<void>;
  /** The history, oldest first. */
  list(room: string): Promise<ChatMessage[]>;
  /** The room ended: its history goes. */
  clear(room: string): Promise<void>;
}

/** Publish/subscribe between nodes; payloads are strings (JSON). At-most-once delivery. */
export interface MessageBus {
  publish(channel: string, payload: string): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface ClusterState {
  readonly kind: 'memory' | 'redis';
  readonly nodes: NodeRegistry;
  readonly leases: RoomLeases;
  readonly roster: Roster;
  readonly resume: ResumeTokens;
  readonly chat: ChatHistory;
  readonly bus: MessageBus;
  /** True while the backing store answers (always true in memory). */
  healthy(): boolean;
  /** Called with true/false when the backing store becomes (un)available. */
  onHealthChange(listener: (healthy: boolean) => void): void;
  close(): Promise<void>;
}
