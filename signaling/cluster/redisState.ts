// Shared state for several nodes, in Redis. Two connections: one for commands, one for
// subscriptions (a subscribed Redis connection can do nothing else). Both reconnect
// forever; while either is down healthy() is false and every call fails at once with
// CLUSTER_UNAVAILABLE instead of queueing, so a Redis outage degrades service but never
// crashes the process. After a reconnect the client re-subscribes every channel itself
// before it reports ready.
import { ClientOfflineError, createClient, ErrorReply } from 'redis';
import { createLogger, type Logger } from '../log.js';
import { assertTtl, ClusterErrorCode, ClusterStateError, shielded } from './errors.js';
import { Keys } from './keys.js';
import { readRecord, type RecordKind } from './records.js';
import {
  ACQUIRE_LEASE,
  LIST_ROSTER,
  PRUNE_DEAD_NODE,
  PUT_ROSTER_ENTRY,
  RELEASE_LEASE,
  RENEW_LEASE,
  type StoredRosterField,
} from './redisScripts.js';
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

type RedisClient = ReturnType<typeof newClient>;
type MessageListener = (message: string) => void;

export interface RedisConnectOptions {
  log?: Logger;
  /** Told of each record read from Redis that fails its schema (records.ts), for metrics. */
  onRecordRejected?: (kind: RecordKind) => void;
  /** How long start-up keeps trying to reach Redis before giving up. */
  connectTimeoutMs?: number;
  /** This node's id, given to its connections as their name (CLIENT SETNAME) for nodes.connected. */
  nodeId?: string;
}

/** Resume records extended per pipelined round trip. */
const RESUME_EXTEND_BATCH = 1000;

/** Delay before reconnect attempt `attempt` (0-based): a little longer each time, at most 2 s, forever. */
export function reconnectDelay(attempt: number): number {
  return Math.min((attempt + 1) * 100, 2000);
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function newClient(url: string, connectTimeoutMs: number, nodeId: string | undefined) {
  return createClient({
    url,
    // Set again on every reconnect; peers read it with CLIENT LIST (nodes.connected).
    ...(nodeId === undefined ? {} : { name: Keys.connectionName(nodeId) }),
    // Fail fast while reconnecting: callers report "degraded" rather than wait.
    disableOfflineQueue: true,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: Math.min(connectTimeoutMs, 5000) },
  });
}

export class RedisClusterState implements ClusterState {
  readonly kind = 'redis' as const;
  readonly nodes: NodeRegistry;
  readonly leases: RoomLeases;
  readonly roster: Roster;
  readonly resume: ResumeTokens;
  readonly chat: ChatHistory;
  readonly bus: MessageBus;
  readonly #commands: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #log: Logger;
  readonly #healthListeners: Array<(healthy: boolean) => void> = [];
  #healthy = false;
  #closed = false;
  #lastError: Error | undefined;
  /** Subscriptions the caller ended while the subscriber was down; unsubscribed once it is back. */
  #orphans: Array<{ channel: string; listener: MessageListener }> = [];

  /** Connects both clients; rejects with CLUSTER_UNAVAILABLE if Redis does not answer within connectTimeoutMs. */
  static async connect(url: string, options: RedisConnectOptions = {}): Promise<RedisClusterState> {
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const commands = newClient(url, timeoutMs, options.nodeId);
    const state = new RedisClusterState(commands, commands.duplicate(), options.log ?? createLogger('silent'), options.onRecordRejected);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([state.#commands.connect(), state.#subscriber.connect()]), deadline]);
    } catch (err) {
      state.#closed = true;
      state.#commands.destroy();
      state.#subscriber.destroy();
      const why = state.#lastError?.message ?? (err instanceof Error ? err.message : String(err));
      const message = `could not connect to Redis at ${redactRedisUrl(url)} within ${timeoutMs} ms: ${why}`;
      throw new ClusterStateError(ClusterErrorCode.Unavailable, message, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    return state;
  }

  private constructor(commands: RedisClient, subscriber: RedisClient, log: Logger, onRecordRejected: ((kind: RecordKind) => void) | undefined) {
    this.#commands = commands;
    this.#subscriber = subscriber;
    this.#log = log;
    // Before the health listener: orphans are unsubscribed before anyone hears "healthy".
    subscriber.on('ready', () => this.#dropOrphans());
    for (const client of [commands, subscriber]) {
      // An 'error' without a listener would throw; each failed reconnect attempt emits one.
      client.on('error', (err: Error) => {
        this.#lastError = err;
        this.#updateHealth();
      });
      client.on('ready', () => this.#updateHealth());
      client.on('reconnecting', () => this.#updateHealth());
      client.on('end', () => this.#updateHealth());
    }

    const run = this.#run.bind(this);
    // A record that fails its schema is absent; counted, and logged (without its content).
    let loggedAt = 0;
    const rejected = (kind: RecordKind): void => {
      onRecordRejected?.(kind);
      if (Date.now() - loggedAt < 1000) return;
      loggedAt = Date.now();
      this.#log.warn('malformed record in Redis ignored (logged at most once a second)', { record: kind });
    };

    this.nodes = {
      heartbeat: (info, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          await c
            .multi()
            .hSet(Keys.nodes(), info.id, JSON.stringify(info))
            .set(Keys.nodeAlive(info.id), '1', { expiration: { type: 'PX', value: ttlMs } })
            .exec();
        }),
      list: () =>
        run(async (c) => {
          const registered = Object.entries(await c.hGetAll(Keys.nodes()));
          if (registered.length === 0) return [];
          const alive = await c.mGet(registered.map(([id]) => Keys.nodeAlive(id)));
          const dead = registered.filter((_, i) => alive[i] === null).map(([id]) => id);
          await Promise.all(
            dead.map((id) => c.eval(PRUNE_DEAD_NODE, { keys: [Keys.nodes(), Keys.nodeAlive(id)], arguments: [id] })),
          );
          return registered.filter((_, i) => alive[i] !== null).flatMap(([, json]) => readRecord('node', json, rejected) ?? []);
        }),
      get: (nodeId) =>
        run(async (c) => {
          const [json, alive] = await Promise.all([c.hGet(Keys.nodes(), nodeId), c.exists(Keys.nodeAlive(nodeId))]);
          return json && alive ? readRecord('node', json, rejected) : undefined;
        }),
      remove: (nodeId) =>
        run(async (c) => {
          await c.multi().hDel(Keys.nodes(), nodeId).del(Keys.nodeAlive(nodeId)).exec();
        }),
      connected: (nodeIds) =>
        run(async (c) => {
          let clients: Array<{ name?: string }>;
          try {
            clients = await c.clientList();
          } catch (err) {
            // ACLs or a managed Redis may forbid CLIENT LIST: the caller judges without it.
            if (err instanceof ErrorReply) return undefined;
            throw err;
          }
          const names = new Set(clients.map((client) => client.name));
          return new Set(nodeIds.filter((id) => names.has(Keys.connectionName(id))));
        }),
    };

    this.leases = {
      acquire: (room, nodeId, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          return String(await c.eval(ACQUIRE_LEASE, { keys: [Keys.roomOwner(room)], arguments: [nodeId, String(ttlMs)] }));
        }),
      renew: (room, nodeId, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          return (await c.eval(RENEW_LEASE, { keys: [Keys.roomOwner(room)], arguments: [nodeId, String(ttlMs)] })) === 1;
        }),
      owner: (room) => run(async (c) => (await c.get(Keys.roomOwner(room))) ?? undefined),
      release: (room, nodeId) =>
        run(async (c) => {
          await c.eval(RELEASE_LEASE, { keys: [Keys.roomOwner(room)], arguments: [nodeId] });
        }),
    };

    this.roster = {
      put: (room, entry, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          await c.eval(PUT_ROSTER_ENTRY, {
            keys: [Keys.roomRoster(room)],
            arguments: [entry.participantId, JSON.stringify(entry), String(ttlMs)],
          });
        }),
      remove: (room, participantId) =>
        run(async (c) => {
          await c.hDel(Keys.roomRoster(room), participantId);
        }),
      list: (room) =>
        run(async (c) => {
          const fields = (await c.eval(LIST_ROSTER, { keys: [Keys.roomRoster(room)] })) as string[];
          return fields.flatMap((field) => readRecord('roster', field, rejected)?.entry ?? []);
        }),
    };

    this.resume = {
      put: (token, record, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          await c.set(Keys.resume(token), JSON.stringify(record), { expiration: { type: 'PX', value: ttlMs } });
        }),
      get: (token) =>
        run(async (c) => {
          const json = await c.get(Keys.resume(token));
          return json === null ? undefined : readRecord('resume', json, rejected);
        }),
      delete: (token) =>
        run(async (c) => {
          await c.del(Keys.resume(token));
        }),
      extend: (tokens, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          // One round trip per batch, and no JSON rewritten: PEXPIRE leaves the record as it is.
          for (let i = 0; i < tokens.length; i += RESUME_EXTEND_BATCH) {
            const batch = c.multi();
            for (const token of tokens.slice(i, i + RESUME_EXTEND_BATCH)) batch.pExpire(Keys.resume(token), ttlMs);
            await batch.execAsPipeline();
          }
        }),
    };

    this.chat = {
      append: (room, message, keep, ttlMs) =>
        run(async (c) => {
          assertTtl(ttlMs);
          const key = Keys.roomChat(room);
          // One transaction: a reader never sees the list untrimmed or without its TTL.
          await c.multi().rPush(key, JSON.stringify(message)).lTrim(key, -keep, -1).pExpire(key, ttlMs).exec();
        }),
      list: (room) =>
        run(async (c) => {
          const items = await c.lRange(Keys.roomChat(room), 0, -1);
          return items.flatMap((json) => readRecord('chat', json, rejected) ?? []);
        }),
      clear: (room) =>
        run(async (c) => {
          await c.del(Keys.roomChat(room));
        }),
    };

    this.bus = {
      publish: (channel, payload) =>
        run(async (c) => {
          await c.publish(channel, payload);
        }),
      subscribe: (channel, handler) => this.#subscribe(channel, handler),
    };
  }

  healthy(): boolean {
    return this.#healthy;
  }

  onHealthChange(listener: (healthy: boolean) => void): void {
    this.#healthListeners.push(shielded(listener, this.#log, 'health'));
  }

  /** Closes both connections, letting commands already sent finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#healthy = false;
    await Promise.all(
      [this.#commands, this.#subscriber].map(async (client) => {
        if (client.isReady) await client.close();
        else client.destroy();
      }),
    );
  }

  async #run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new ClusterStateError(ClusterErrorCode.Closed, 'cluster state is closed');
    // The client's own offline check misses MULTI, which would wait for the reconnect.
    if (!this.#commands.isReady) throw this.#asClusterError(new ClientOfflineError());
    try {
      return await operation(this.#commands);
    } catch (err) {
      throw this.#asClusterError(err);
    }
  }

  async #subscribe(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new ClusterStateError(ClusterErrorCode.Closed, 'cluster state is closed');
    // SUBSCRIBE bypasses the client's offline check and would wait for the reconnect.
    if (!this.#subscriber.isReady) throw this.#asClusterError(new ClientOfflineError());
    let active = true;
    const deliver = shielded(handler, this.#log, `bus:${channel}`);
    // A fresh function per subscription: the client keeps listeners in a Set.
    const listener: MessageListener = (message) => {
      if (active) deliver(message);
    };
    try {
      await this.#subscriber.subscribe(channel, listener);
    } catch (err) {
      throw this.#asClusterError(err);
    }
    return async () => {
      if (!active) return;
      active = false;
      if (this.#closed) return;
      if (!this.#subscriber.isReady) {
        this.#orphans.push({ channel, listener });
        return;
      }
      await this.#subscriber.unsubscribe(channel, listener).catch(() => this.#orphans.push({ channel, listener }));
    };
  }

  #dropOrphans(): void {
    const orphans = this.#orphans;
    this.#orphans = [];
    for (const orphan of orphans) {
      this.#subscriber.unsubscribe(orphan.channel, orphan.listener).catch(() => this.#orphans.push(orphan));
    }
  }

  #asClusterError(err: unknown): unknown {
    if (err instanceof ClusterStateError || err instanceof ErrorReply || err instanceof RangeError) return err;
    const why = err instanceof Error ? err.message : String(err);
    return new ClusterStateError(ClusterErrorCode.Unavailable, `Redis is unavailable: ${why}`, { cause: err });
  }

  #updateHealth(): void {
    const healthy = !this.#closed && this.#commands.isReady && this.#subscriber.isReady;
    if (healthy === this.#healthy) return;
    this.#healthy = healthy;
    if (healthy) this.#log.info('shared state available', { store: 'redis' });
    else this.#log.warn('shared state unavailable', { store: 'redis', error: this.#lastError?.message });
    for (const listener of this.#healthListeners) listener(healthy);
  }
}
