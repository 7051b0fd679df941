// Shared state for a single node: plain maps in this process, with the same TTL and
// delivery semantics as the Redis implementation so that code above cannot tell them
// apart. Several MemoryClusterState instances may share one MemoryBackend, which lets a
// test run "several nodes" in one process.
import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../log.js';
import { assertTtl, ClusterErrorCode, ClusterStateError, shielded } from './errors.js';
import { ExpiringMap } from './expiringMap.js';
import type { ChatMessage } from '../protocol.js';
import type {
  ChatHistory,
  ClusterState,
  MessageBus,
  NodeInfo,
  NodeRegistry,
  ResumeRecord,
  ResumeTokens,
  RoomLeases,
  Roster,
  RosterEntry,
} from './types.js';

/** The store that in-process nodes share: maps with expiry, one clock, one bus. */
export class MemoryBackend {
  readonly nodes: ExpiringMap<string, NodeInfo>;
  /** Room to the id of the node that owns it. */
  readonly leases: ExpiringMap<string, string>;
  /** Room to its participants; a room's map is dropped once it is empty. */
  readonly rosters = new Map<string, ExpiringMap<string, RosterEntry>>();
  readonly resume: ExpiringMap<string, ResumeRecord>;
  /** Room to its chat history, oldest first. */
  readonly chat: ExpiringMap<string, ChatMessage[]>;
  /** Channel name is the event name; payloads are strings. */
  readonly bus = new EventEmitter().setMaxListeners(0);
  /** Node ids of the open states that were given one, with how many are open (a node's "connections"). */
  readonly connections = new Map<string, number>();

  /** `now` is injectable so tests can move time without waiting or faking timers. */
  constructor(readonly now: () => number = Date.now) {
    this.nodes = new ExpiringMap(now);
    this.leases = new ExpiringMap(now);
    this.resume = new ExpiringMap(now);
    this.chat = new ExpiringMap(now);
  }
}

export class MemoryClusterState implements ClusterState {
  readonly kind = 'memory' as const;
  readonly nodes: NodeRegistry;
  readonly leases: RoomLeases;
  readonly roster: Roster;
  readonly resume: ResumeTokens;
  readonly chat: ChatHistory;
  readonly bus: MessageBus;
  #closed = false;
  readonly #nodeId: string | undefined;
  /** Unsubscribes of this node's live bus subscriptions, run by close(). */
  readonly #subscriptions = new Set<() => void>();

  constructor(
    readonly backend: MemoryBackend = new MemoryBackend(),
    options: { log?: Logger; nodeId?: string } = {},
  ) {
    const log = options.log ?? createLogger('silent');
    this.#nodeId = options.nodeId;
    if (this.#nodeId !== undefined) backend.connections.set(this.#nodeId, (backend.connections.get(this.#nodeId) ?? 0) + 1);
    const open = (): void => {
      if (this.#closed) throw new ClusterStateError(ClusterErrorCode.Closed, 'cluster state is closed');
    };

    this.nodes = {
      async heartbeat(info, ttlMs) {
        open();
        assertTtl(ttlMs);
        backend.nodes.set(info.id, { ...info }, ttlMs);
      },
      async list() {
        open();
        return backend.nodes.entries().map(([, info]) => ({ ...info }));
      },
      async get(nodeId) {
        open();
        const info = backend.nodes.get(nodeId);
        return info && { ...info };
      },
      async remove(nodeId) {
        open();
        backend.nodes.delete(nodeId);
      },
      async connected(nodeIds) {
        open();
        return new Set(nodeIds.filter((id) => backend.connections.has(id)));
      },
    };

    this.leases = {
      async acquire(room, nodeId, ttlMs) {
        open();
        assertTtl(ttlMs);
        const owner = backend.leases.get(room);
        if (owner !== undefined && owner !== nodeId) return owner;
        backend.leases.set(room, nodeId, ttlMs);
        return nodeId;
      },
      async renew(room, nodeId, ttlMs) {
        open();
        assertTtl(ttlMs);
        if (backend.leases.get(room) !== nodeId) return false;
        backend.leases.set(room, nodeId, ttlMs);
        return true;
      },
      async owner(room) {
        open();
        return backend.leases.get(room);
      },
      async release(room, nodeId) {
        open();
        if (backend.leases.get(room) === nodeId) backend.leases.delete(room);
      },
    };

    this.roster = {
      async put(room, entry, ttlMs) {
        open();
        assertTtl(ttlMs);
        let entries = backend.rosters.get(room);
        if (!entries) backend.rosters.set(room, (entries = new ExpiringMap(backend.now)));
        entries.set(entry.participantId, { ...entry }, ttlMs);
      },
      async remove(room, participantId) {
        open();
        const entries = backend.rosters.get(room);
        entries?.delete(participantId);
        if (entries?.size === 0) backend.rosters.delete(room);
      },
      async list(room) {
        open();
        const entries = backend.rosters.get(room);
        if (!entries) return [];
        const live = entries.entries().map(([, entry]) => ({ ...entry }));
        if (live.length === 0) backend.rosters.delete(room);
        return live;
      },
    };

    this.resume = {
      async put(token, record, ttlMs) {
        open();
        assertTtl(ttlMs);
        backend.resume.set(token, { ...record }, ttlMs);
      },
      async get(token) {
        open();
        const record = backend.resume.get(token);
        return record && { ...record };
      },
      async delete(token) {
        open();
        backend.resume.delete(token);
      },
      async extend(tokens, ttlMs) {
        open();
        assertTtl(ttlMs);
        for (const token of tokens) backend.resume.touch(token, ttlMs);
      },
    };

    this.chat = {
      async append(room, message, keep, ttlMs) {
        open();
        assertTtl(ttlMs);
        const history = [...(backend.chat.get(room) ?? []), { ...message }];
        backend.chat.set(room, history.slice(Math.max(0, history.length - keep)), ttlMs);
      },
      async list(room) {
        open();
        return (backend.chat.get(room) ?? []).map((m) => ({ ...m }));
      },
      async clear(room) {
        open();
        backend.chat.delete(room);
      },
    };

    const subscriptions = this.#subscriptions;
    this.bus = {
      async publish(channel, payload) {
        open();
        // Like Redis, delivery is never synchronous: handlers run after publish returns.
        queueMicrotask(() => backend.bus.emit(channel, payload));
      },
      async subscribe(channel, handler) {
        open();
        const listener = shielded(handler, log, `bus:${channel}`);
        const off = (): void => {
          backend.bus.off(channel, listener);
          subscriptions.delete(off);
        };
        backend.bus.on(channel, listener);
        subscriptions.add(off);
        return async () => off();
      },
    };
  }

  healthy(): boolean {
    return !this.#closed;
  }

  /** Memory never becomes unavailable, so listeners are never called. */
  onHealthChange(_listener: (healthy: boolean) => void): void {}

  /** Stops this node's bus subscriptions; the shared backend and its data stay. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of [...this.#subscriptions]) off();
    if (this.#nodeId === undefined) return;
    const open = (this.backend.connections.get(this.#nodeId) ?? 1) - 1;
    if (open > 0) this.backend.connections.set(this.#nodeId, open);
    else this.backend.connections.delete(this.#nodeId);
  }
}
