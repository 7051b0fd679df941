// Rooms across nodes. Every node runs signaling and media; each room lives on one node,
// its owner, chosen as the least loaded live node and recorded as a lease in shared state
// that the owner renews. A participant's socket may land on any node (the "edge"): when
// the edge does not own the room, it relays the participant's requests to the owner over
// the message bus, and the owner relays the room's events back. Media always goes
// straight to the owner's announced address.
//
// Why relay and not redirect: a load balancer without sticky sessions may send a socket to
// any node, and browsers could only follow a redirect to a node they can reach by name
// with its own TLS certificate. Relaying keeps one public signaling address.
import { randomUUID } from 'node:crypto';
import { bounded, ERROR_TEXT_CHARS, errorText } from '../clientValue.js';
import { CodedError, codeOf, protocolErrorOf } from '../errors.js';
import { refusalOf } from '../mediaRefusal.js';
import type { Logger } from '../log.js';
import type { PictureSize } from '../layers.js';
import { CHAT_HISTORY, ErrorCode, publishOptions, type PublishOptions, type ChatMessage, type ImpairmentSettings, type LeaveReason, type MediaKind, type ServerMessage, type VideoSizeResult } from '../protocol.js';
import type { MemberSink } from '../room.js';
import {
  GoneError,
  newResumeToken,
  type LocalRoomService,
  type MemberRef,
  type RoomService,
  type ServiceJoin,
  type HostJoinOutcome,
  type ServiceJoinOutcome,
} from '../roomService.js';
import { BusCodec, type BusMessage, type BusRejection, type JoinFields, type RelayOp } from './busMessages.js';
import { Keys } from './keys.js';
import { Liveness } from './liveness.js';
import type { ClusterState, NodeInfo, ResumeRecord } from './types.js';

export interface ClusterOptions {
  nodeId: string;
  signalingUrl: string;
  mediaAddress: string;
  /** A node that has not heartbeated for this long is gone. */
  nodeTtlMs: number;
  /** Room owner leases last this long unless renewed. */
  leaseTtlMs: number;
  /** How often this node beats on the bus, and how long a silent peer takes to be dead (liveness.ts). */
  beatIntervalMs: number;
  deadAfterMs: number;
  /** How long a relayed request may take. */
  requestTimeoutMs: number;
  resumeGraceMs: number;
  /** Process CPU use, 0..1 per core, for placement. */
  cpu: () => number;
  /** JWT_SECRET: bus messages are signed with a key derived from it (busMessages.ts). */
  busSecret: string;
  /** Observes each bus message dropped unread (bad signature, not JSON, wrong shape), for metrics. */
  onBusRejected?: (reason: BusRejection) => void;
}

/** Dropped bus messages logged at most this often; the rest are only counted. */
const REJECTION_LOG_INTERVAL_MS = 1000;
/** Renewals run four times a lease period; rosters are refreshed once a lease period. */
const ROSTER_REFRESH_EVERY = 4;

/**
 * A room's chat history outlives a quiet spell this long after its last message; it is
 * deleted as soon as the room empties, so this only bounds what a crashed owner leaves.
 */
const CHAT_TTL_MS = 24 * 60 * 60 * 1000;

/** What the owner answers a join with: the host's outcome and the room's chat so far. */
type OwnerJoinOutcome = (Extract<HostJoinOutcome, { ok: true }> & { chat: ChatMessage[] }) | Extract<HostJoinOutcome, { ok: false }>;

/** A relayed participant: its socket is here, its room on `owner`. */
interface RemoteMember {
  room: string;
  owner: string;
  sink: MemberSink;
}

export class ClusterRoomService implements RoomService {
  private readonly pending = new Map<string, { node: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  /** Sockets on this node whose room lives on another node. */
  private readonly remote = new Map<string, RemoteMember>();
  /** Edge node of every member of the rooms this node owns. */
  private readonly edges = new Map<string, { room: string; edge: string; joinedAt: number }>();
  /** Rooms whose lease this node holds (or held, until it is released). */
  private readonly owned = new Set<string>();
  /** Resume records of sockets alive on this node, refreshed until the socket ends. */
  private readonly resumeRecords = new Map<string, { token: string; record: ResumeRecord }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private accepting = true;
  private closed = false;
  /**
   * Events for relayed participants this node does not know yet: the owner may send the
   * first offer before the edge has handled the join's response. Kept briefly, then
   * delivered when the join completes.
   */
  private readonly early = new Map<string, { messages: ServerMessage[]; timer: NodeJS.Timeout }>();
  /** Nodes missing from the registry at the last check: gone if still missing at the next. */
  private suspects = new Set<string>();
  /**
   * When shared state last became available again after an outage: peers need a heartbeat
   * to reappear, owners a moment to take their leases back. Never, at start-up (the state
   * was there when we connected; a node of one has nothing to wait for).
   */
  private healthySince = Number.NEGATIVE_INFINITY;
  private readonly codec: BusCodec;
  /** Peers judged from their beats on the bus: dead within deadAfterMs of a kill. */
  private readonly liveness: Liveness;
  private rejectionLoggedAt = 0;
  private rejectionsUnlogged = 0;
  /** Peers judged paused at the last beat (silent, still connected): logged once per pause. */
  private pausedPeers = new Set<string>();
  /** Peers judged dead at the last beat (silent, connections gone): their leases are handed over at once. */
  private deadPeers = new Set<string>();
  private clientListDenied = false;
  /** Lease renewals so far; every ROSTER_REFRESH_EVERY-th one also refreshes the rosters. */
  private renewals = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly local: LocalRoomService,
    private readonly options: ClusterOptions,
    private readonly log: Logger,
  ) {
    this.codec = new BusCodec(options.busSecret);
    this.liveness = new Liveness(options.nodeId, { beatIntervalMs: options.beatIntervalMs, deadAfterMs: options.deadAfterMs });
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  async start(): Promise<void> {
    this.state.onHealthChange((healthy) => {
      if (healthy) this.healthySince = Date.now();
    });
    const own = await this.state.bus.subscribe(Keys.nodeChannel(this.nodeId), (payload) => this.onBus(payload));
    const beats = await this.state.bus.subscribe(Keys.beats(), (payload) => this.onBeat(payload));
    this.unsubscribe = async () => {
      await Promise.allSettled([own(), beats()]);
    };
    await this.heartbeat();
    const every = (ms: number, task: () => Promise<void>): void => {
      const timer = setInterval(() => {
        task().catch((err: unknown) => this.log.debug('cluster task failed', { error: errorText(err) }));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.max(200, Math.floor(this.options.nodeTtlMs / 4)), () => this.heartbeat());
    every(Math.max(200, Math.floor(this.options.leaseTtlMs / 4)), () => this.renewLeases());
    every(Math.max(200, Math.floor(this.options.nodeTtlMs / 4)), () => this.watchPeers());
    every(this.options.beatIntervalMs, () => this.beat());
  }

  /** Stops taking new rooms (graceful shutdown); the registry says so at once. */
  async stopAccepting(): Promise<void> {
    this.accepting = false;
    await this.heartbeat().catch(() => undefined);
  }

  /**
   * Graceful shutdown, step 1: take no new rooms, and where another node takes rooms, end
   * ours so their members join again there (4012). Alone (one node, or every other one
   * draining too), the rooms stay until the sockets are closed with 4011.
   */
  async drain(): Promise<void> {
    await this.stopAccepting();
    const others = await this.state.nodes.list().catch(() => []);
    if (others.some((n) => n.id !== this.nodeId && n.acceptingRooms)) this.evictAll();
  }

  /** Ends every room this node owns: members are told to move and join again elsewhere. */
  evictAll(): void {
    for (const room of this.local.roomIds()) this.local.evict(room);
  }

  async join(join: ServiceJoin): Promise<ServiceJoinOutcome> {
    if (!this.state.healthy()) return { ok: false, reason: 'degraded' };
    // When the socket is handed over (replaced by a resumed one, or its room moved), this
    // node stops refreshing its resume record: the new socket's node owns it now.
    let participantId = '';
    const sink: MemberSink = {
      send: (m) => join.sink.send(m),
      mediaFailed: (r) => join.sink.mediaFailed(r),
      replaced: () => {
        this.resumeRecords.delete(participantId);
        join.sink.replaced();
      },
      moved: () => {
        this.resumeRecords.delete(participantId);
        join.sink.moved();
      },
    };
    try {
      return await this.joinPlaced(join, sink, (id) => (participantId = id));
    } catch (err) {
      // The owner's media plane refused (MEDIA_CAPACITY): the session answers with that code.
      if (refusalOf(err)) throw err;
      this.log.warn('cluster join failed', { room: join.room, error: errorText(err) });
      return { ok: false, reason: 'degraded' };
    }
  }

  /**
   * Places the room and joins it, here or on its owner. An owner that dies while the join
   * is on its way (seen when a socket of the dead node comes straight back through the
   * balancer) is judged dead within deadAfterMs: the room is placed once more.
   */
  private async joinPlaced(join: ServiceJoin, sink: MemberSink, joined: (participantId: string) => void): Promise<ServiceJoinOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.joinOnce(join, sink, joined);
      } catch (err) {
        if (!(err instanceof PeerDeadError) || attempt >= 2) throw err;
        this.log.info('room owner died during a join; placing the room again', { room: join.room, owner: err.node });
      }
    }
  }

  private async joinOnce(join: ServiceJoin, sink: MemberSink, joined: (participantId: string) => void): Promise<ServiceJoinOutcome> {
    const owner = await this.placeRoom(join.room);
    const fields: JoinFields = { room: join.room, identity: join.identity, name: join.name, grants: join.grants, ...(join.expiresAt !== undefined ? { expiresAt: join.expiresAt } : {}) };
    let resumeParticipantId: string | undefined;
    if (join.resumeToken) {
      const record = await this.state.resume.get(join.resumeToken);
      if (record && record.room === join.room && record.identity === join.identity) resumeParticipantId = record.participantId;
    }
    let outcome: OwnerJoinOutcome;
    if (owner === this.nodeId) {
      outcome = await this.hostJoin(fields, this.nodeId, () => sink, resumeParticipantId);
    } else {
      outcome = (await this.relay(owner, { op: 'join', join: fields, ...(resumeParticipantId ? { resumeParticipantId } : {}) })) as OwnerJoinOutcome;
      if (outcome.ok) {
        this.remote.set(outcome.participantId, { room: join.room, owner, sink });
        const early = this.early.get(outcome.participantId);
        this.early.delete(outcome.participantId);
        if (early) {
          clearTimeout(early.timer);
          for (const m of early.messages) sink.send(m);
        }
      }
    }
    if (!outcome.ok) return outcome;
    joined(outcome.participantId);
    const resumeToken = outcome.resumed && join.resumeToken ? join.resumeToken : newResumeToken();
    const record: ResumeRecord = { room: join.room, participantId: outcome.participantId, identity: join.identity, name: join.name };
    this.resumeRecords.set(outcome.participantId, { token: resumeToken, record });
    await this.state.resume.put(resumeToken, record, this.resumeTtlMs());
    return { ...outcome, resumeToken };
  }

  publish(ref: MemberRef, sdp: string, options: PublishOptions = {}): Promise<string> {
    return this.route(ref, { op: 'publish', ref, sdp, ...options }, () => this.local.publish(ref, sdp, options)) as Promise<string>;
  }

  async answer(ref: MemberRef, sdp: string): Promise<void> {
    await this.route(ref, { op: 'answer', ref, sdp }, () => this.local.answer(ref, sdp));
  }

  async mute(ref: MemberRef, kind: MediaKind, muted: boolean): Promise<void> {
    await this.route(ref, { op: 'mute', ref, kind, muted }, () => this.local.mute(ref, kind, muted));
  }

  async rename(ref: MemberRef, name: string): Promise<void> {
    await this.route(ref, { op: 'rename', ref, name }, () => this.local.rename(ref, name));
  }

  videoSize(ref: MemberRef, publisherId: string, tile: PictureSize): Promise<VideoSizeResult> {
    return this.route(ref, { op: 'video-size', ref, publisherId, tile }, () => this.local.videoSize(ref, publisherId, tile)) as Promise<VideoSizeResult>;
  }

  async setImpairment(ref: MemberRef, settings: ImpairmentSettings | null): Promise<void> {
    await this.route(ref, { op: 'impair', ref, settings }, () => this.local.setImpairment(ref, settings));
  }

  chat(ref: MemberRef, text: string): Promise<ChatMessage> {
    return this.route(ref, { op: 'chat', ref, text }, () => this.hostChat(ref, text)) as Promise<ChatMessage>;
  }

  async leave(ref: MemberRef, reason: LeaveReason): Promise<void> {
    const resume = this.resumeRecords.get(ref.participantId);
    this.resumeRecords.delete(ref.participantId);
    if (resume) await this.state.resume.delete(resume.token).catch(() => undefined);
    const remote = this.remote.get(ref.participantId);
    this.remote.delete(ref.participantId);
    if (remote) {
      await this.relay(remote.owner, { op: 'leave', ref, reason }).catch(() => undefined);
      return;
    }
    await this.hostLeave(ref, reason);
  }

  async detach(ref: MemberRef, reason: LeaveReason): Promise<void> {
    // No longer refreshed: the record expires when the grace period is over.
    this.resumeRecords.delete(ref.participantId);
    const remote = this.remote.get(ref.participantId);
    this.remote.delete(ref.participantId);
    if (remote) {
      await this.relay(remote.owner, { op: 'detach', ref, reason }).catch(() => undefined);
      return;
    }
    await this.local.detach(ref, reason);
  }

  stats(): { rooms: number; participants: number } {
    return this.local.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const { timer } of this.early.values()) clearTimeout(timer);
    this.early.clear();
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error('node shutting down'));
    }
    this.pending.clear();
    // Leave nothing behind in shared state: our leases, rosters and registry entry.
    await Promise.allSettled(
      this.local.roomIds().flatMap((room) => [this.state.leases.release(room, this.nodeId), this.state.roster.list(room).then((entries) => Promise.all(entries.map((e) => this.state.roster.remove(room, e.participantId))))]),
    );
    await this.local.close();
    await this.state.nodes.remove(this.nodeId).catch(() => undefined);
    await this.unsubscribe?.().catch(() => undefined);
    // The state was made for this service (server/rooms.ts) and ends with it.
    await this.state.close();
  }

  // ---- owner side ----

  /**
   * Joins (or resumes) a member of a room this node owns. `sinkFor` gives the sink for the
   * member once its id is known; events sent before that are queued.
   */
  private async hostJoin(join: JoinFields, edge: string, sinkFor: (participantId: string) => MemberSink, resumeParticipantId: string | undefined): Promise<OwnerJoinOutcome> {
    if (resumeParticipantId) {
      const resumed = this.local.resume(join.room, resumeParticipantId, sinkFor(resumeParticipantId), join.expiresAt);
      if (resumed) {
        await this.recordMember(join, resumeParticipantId, edge);
        return { ...resumed, chat: await this.chatHistory(join.room) };
      }
    }
    const early: ServerMessage[] = [];
    let target: MemberSink | undefined;
    const sink: MemberSink = {
      send: (m) => (target ? target.send(m) : early.push(m)),
      mediaFailed: (r) => target?.mediaFailed(r),
      replaced: () => target?.replaced(),
      moved: () => target?.moved(),
    };
    // In a cluster the resume tokens live in shared state and were checked by the edge.
    const outcome = await this.local.join({ ...join, sink });
    if (!outcome.ok) return outcome;
    target = sinkFor(outcome.participantId);
    for (const m of early.splice(0)) target.send(m);
    await this.recordMember(join, outcome.participantId, edge);
    return { ...outcome, chat: await this.chatHistory(join.room) };
  }

  /** The room's chat so far; without shared state, none (the join matters more than the history). */
  private async chatHistory(room: string): Promise<ChatMessage[]> {
    return this.state.chat.list(room).catch((err: unknown) => {
      this.log.warn('chat history unavailable', { room, error: errorText(err) });
      return [];
    });
  }

  /** Tells the room at once, then keeps the message for late joiners (in order: one connection, one client). */
  private async hostChat(ref: MemberRef, text: string): Promise<ChatMessage> {
    const message = this.local.chat(ref, text);
    await this.state.chat.append(ref.room, message, CHAT_HISTORY, CHAT_TTL_MS).catch((err: unknown) => {
      this.log.warn('chat message not kept for late joiners', { room: ref.room, error: errorText(err) });
    });
    return message;
  }

  private async hostLeave(ref: MemberRef, reason: LeaveReason): Promise<void> {
    this.edges.delete(ref.participantId);
    await this.local.leave(ref, reason);
    await this.state.roster.remove(ref.room, ref.participantId).catch(() => undefined);
    if (this.local.members(ref.room).length === 0) {
      this.owned.delete(ref.room);
      await this.state.chat.clear(ref.room).catch(() => undefined);
      await this.state.leases.release(ref.room, this.nodeId).catch(() => undefined);
    }
  }

  /** A sink on the owner for a member whose socket is on another node. */
  private relaySink(edge: string, participantId: string): MemberSink {
    const send = (message: BusMessage): void => {
      this.state.bus.publish(Keys.nodeChannel(edge), this.codec.encode(message)).catch(() => undefined);
    };
    return {
      send: (message) => send({ t: 'evt', participantId, message }),
      mediaFailed: (reason) => this.log.warn('media failed', { participant: participantId, reason: bounded(reason, ERROR_TEXT_CHARS) }),
      replaced: () => send({ t: 'end', participantId, why: 'replaced' }),
      moved: () => send({ t: 'end', participantId, why: 'moved' }),
    };
  }

  private async handleRequest(from: string, body: RelayOp): Promise<unknown> {
    // Only the node holding a member's socket speaks for it; the room service checks the
    // grants again, against what the member joined with.
    if (body.op !== 'join' && body.op !== 'leave' && body.op !== 'detach' && this.edges.get(body.ref.participantId)?.edge !== from) {
      throw new GoneError('not a member relayed by this node');
    }
    switch (body.op) {
      case 'join':
        return this.hostJoin(body.join, from, (participantId) => this.relaySink(from, participantId), body.resumeParticipantId);
      case 'publish':
        return this.local.publish(body.ref, body.sdp, publishOptions(body));
      case 'answer':
        return this.local.answer(body.ref, body.sdp);
      case 'mute':
        return this.local.mute(body.ref, body.kind, body.muted);
      case 'rename':
        return this.local.rename(body.ref, body.name);
      case 'video-size':
        return this.local.videoSize(body.ref, body.publisherId, body.tile);
      case 'impair':
        return this.local.setImpairment(body.ref, body.settings);
      case 'chat':
        return this.hostChat(body.ref, body.text);
      case 'leave':
        if (this.edges.get(body.ref.participantId)?.edge !== from) return undefined;
        return this.hostLeave(body.ref, body.reason);
      case 'detach':
        // A detach from an edge the participant already left (it resumed elsewhere) is stale.
        if (this.edges.get(body.ref.participantId)?.edge !== from) return undefined;
        return this.local.detach(body.ref, body.reason);
    }
  }

  private async recordMember(join: JoinFields, participantId: string, edge: string): Promise<void> {
    this.owned.add(join.room);
    // A resumed member keeps its join time; its edge may have changed.
    const joinedAt = this.edges.get(participantId)?.joinedAt ?? Date.now();
    this.edges.set(participantId, { room: join.room, edge, joinedAt });
    await this.state.roster
      .put(join.room, { participantId, identity: join.identity, name: join.name, edgeNodeId: edge, joinedAt }, this.rosterTtlMs())
      .catch(() => undefined);
  }

  // ---- placement, leases, liveness ----

  /** The room's owner, placing the room on the least loaded live node if it has none. */
  private async placeRoom(room: string): Promise<string> {
    const deadline = Date.now() + this.options.leaseTtlMs + this.options.nodeTtlMs;
    for (;;) {
      const owner = await this.state.leases.owner(room);
      if (owner) {
        if (owner === this.nodeId) return owner;
        if (this.deadPeers.has(owner) && this.liveness.isDead(owner, Date.now())) {
          // Its beats stopped while ours went on, and its Redis connections are gone: hand
          // the lease over now rather than wait for it to run out (compare-and-delete, so a
          // newer owner is left alone). A paused owner keeps its lease.
          this.log.info('room owner is dead; taking the room over', { room, owner });
          await this.state.leases.release(room, owner);
          continue;
        }
        if (await this.state.nodes.get(owner)) return owner;
        // Held by a node that died: the lease runs out soon, then the room moves.
        if (Date.now() > deadline) throw new Error(`room ${room} is held by dead node ${owner}`);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      // Just after Redis came back, owners have not re-taken their leases yet.
      const settling = this.healthySince + this.options.leaseTtlMs - Date.now();
      if (settling > 0) {
        await new Promise((r) => setTimeout(r, settling));
        continue;
      }
      const now = Date.now();
      // A silent node, dead or paused, takes no new room.
      const candidates = (await this.state.nodes.list()).filter((n) => n.acceptingRooms && !this.liveness.isDead(n.id, now));
      const chosen = pickLeastLoaded(candidates) ?? (this.accepting ? this.nodeId : undefined);
      if (!chosen) throw new Error('no node accepts rooms');
      return this.state.leases.acquire(room, chosen, this.options.leaseTtlMs);
    }
  }

  /** A roster entry outlives three missed refreshes (see ROSTER_REFRESH_EVERY). */
  private rosterTtlMs(): number {
    return this.options.leaseTtlMs * 4;
  }

  /** A resume record lives while its socket does, and a grace period after. */
  private resumeTtlMs(): number {
    return this.options.resumeGraceMs + this.options.nodeTtlMs;
  }

  private async heartbeat(): Promise<void> {
    await this.state.resume.extend(
      Array.from(this.resumeRecords.values(), (r) => r.token),
      this.resumeTtlMs(),
    );
    const info: NodeInfo = {
      id: this.nodeId,
      signalingUrl: this.options.signalingUrl,
      mediaAddress: this.options.mediaAddress,
      participants: this.local.stats().participants,
      cpu: this.options.cpu(),
      acceptingRooms: this.accepting,
      heartbeatAt: Date.now(),
    };
    await this.state.nodes.heartbeat(info, this.options.nodeTtlMs);
  }

  /** Keeps our rooms' leases and rosters alive; a room whose lease another node took moves. */
  private async renewLeases(): Promise<void> {
    if (!this.state.healthy()) return;
    const hosted = new Set(this.local.roomIds());
    // Rooms that emptied here (a grace period ran out): give their lease, roster and chat back.
    for (const room of this.owned) {
      if (hosted.has(room)) continue;
      this.owned.delete(room);
      // A room that moved (evicted, drained) keeps its chat for the new owner.
      if ((await this.state.leases.owner(room)) === this.nodeId) await this.state.chat.clear(room);
      await this.state.leases.release(room, this.nodeId);
      for (const e of await this.state.roster.list(room)) await this.state.roster.remove(room, e.participantId);
    }
    for (const [participantId, { room }] of this.edges) {
      if (!this.local.hasMember(room, participantId)) this.edges.delete(participantId);
    }
    // Roster entries live four lease periods; rewriting every member at every renewal
    // (four times a lease period) cost 10,000 writes a second at 10,000 members.
    const refreshRoster = this.renewals++ % ROSTER_REFRESH_EVERY === 0;
    for (const room of hosted) {
      this.owned.add(room);
      let ours = await this.state.leases.renew(room, this.nodeId, this.options.leaseTtlMs);
      // After a Redis outage the lease may have expired with nobody taking it: take it back.
      if (!ours) ours = (await this.state.leases.acquire(room, this.nodeId, this.options.leaseTtlMs)) === this.nodeId;
      if (!ours) {
        this.log.warn('room lease lost; moving the room', { room });
        this.local.evict(room);
        continue;
      }
      if (!refreshRoster) continue;
      const members = this.local.members(room);
      for (const m of members) {
        const edge = this.edges.get(m.participantId);
        await this.state.roster.put(room, { ...m, edgeNodeId: edge?.edge ?? this.nodeId, joinedAt: edge?.joinedAt ?? Date.now() }, this.rosterTtlMs());
      }
      for (const e of await this.state.roster.list(room)) {
        if (!members.some((m) => m.participantId === e.participantId)) await this.state.roster.remove(room, e.participantId);
      }
    }
  }

  /**
   * Edges check that the owners of their relayed members live; owners check that the edges
   * of their members live. A dead owner means the room moves; a dead edge means its
   * members' sockets are gone and they may resume elsewhere within the grace period.
   */
  private async watchPeers(): Promise<void> {
    // Without shared state, or just after it returned (before every node heartbeated
    // again), absence from the registry proves nothing.
    if (!this.state.healthy() || Date.now() - this.healthySince < this.options.nodeTtlMs) return;
    const listed = new Set((await this.state.nodes.list()).map((n) => n.id));
    listed.add(this.nodeId);
    // A node must be missing twice in a row: one late heartbeat (a busy event loop) is
    // not a death.
    // Runs four times a node TTL over every member: no per-member arrays.
    const missing = new Set<string>();
    for (const { owner } of this.remote.values()) if (!listed.has(owner)) missing.add(owner);
    for (const { edge } of this.edges.values()) if (!listed.has(edge)) missing.add(edge);
    const dead = new Set<string>();
    for (const id of missing) if (this.suspects.has(id)) dead.add(id);
    this.suspects = missing;
    if (dead.size > 0) await this.peersDied(dead, 'registry');
  }

  /** Our beat, and the peers whose beats stopped (faster than the registry: liveness.ts). */
  private async beat(): Promise<void> {
    await this.state.bus.publish(Keys.beats(), this.codec.encode({ t: 'beat', from: this.nodeId }));
    const silent = this.liveness.dead(Date.now());
    if (silent.length > 0) await this.silentPeers(silent);
    else this.deadPeers = this.pausedPeers = new Set();
  }

  /**
   * Peers whose beats stopped: dead if their process no longer holds its Redis connections
   * (a kill closes them at once). One that still holds them is paused (a long GC, a stalled
   * event loop, a starved machine) and keeps its rooms; if it never wakes, the registry's
   * NODE_TTL_MS and the leases judge it. Where Redis cannot list its clients, silence alone
   * judges, as it did before.
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
    if (dead.length > 0) await this.peersDied(new Set(dead), 'beats');
  }

  private onBeat(payload: string): void {
    const decoded = this.codec.decode(payload);
    if (!decoded.ok) return this.busRejected(decoded.reason, decoded.detail, payload.length);
    if (decoded.message.t !== 'beat') return this.busRejected('schema', `${decoded.message.t} on the beats channel`, payload.length);
    this.liveness.heard(decoded.message.from, Date.now());
  }

  /**
   * Dead peers: rooms they owned move (their members here are told to join again), and
   * members whose socket was on them are detached (they may resume elsewhere).
   */
  private async peersDied(dead: ReadonlySet<string>, judgedBy: 'registry' | 'beats'): Promise<void> {
    // Requests waiting on a dead node fail now, not at their timeout.
    for (const [id, waiting] of this.pending) {
      if (!dead.has(waiting.node)) continue;
      this.pending.delete(id);
      clearTimeout(waiting.timer);
      waiting.reject(new PeerDeadError(waiting.node));
    }
    for (const [participantId, member] of this.remote) {
      if (!dead.has(member.owner)) continue;
      this.remote.delete(participantId);
      this.log.warn('room owner is gone; the room moves', { room: member.room, owner: member.owner, participant: participantId, judgedBy });
      member.sink.moved();
    }
    for (const [participantId, { room, edge }] of this.edges) {
      if (!dead.has(edge)) continue;
      this.edges.delete(participantId);
      await this.local.detach({ room, participantId }, 'disconnected');
    }
  }

  // ---- relaying ----

  private async route(ref: MemberRef, body: RelayOp, here: () => Promise<unknown>): Promise<unknown> {
    const remote = this.remote.get(ref.participantId);
    return remote ? this.relay(remote.owner, body) : here();
  }

  private relay(node: string, body: RelayOp): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CodedError(ErrorCode.Degraded, `node ${node} did not answer ${body.op} within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      this.pending.set(id, { node, resolve, reject, timer });
      const message: BusMessage = { t: 'req', id, from: this.nodeId, body };
      this.state.bus.publish(Keys.nodeChannel(node), this.codec.encode(message)).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** A dropped bus message: counted always, logged (bounded, never the payload) at most once a second. */
  private busRejected(reason: BusRejection, detail: string, bytes: number): void {
    this.options.onBusRejected?.(reason);
    const now = Date.now();
    if (now - this.rejectionLoggedAt < REJECTION_LOG_INTERVAL_MS) {
      this.rejectionsUnlogged += 1;
      return;
    }
    this.log.warn('bus message rejected', { node: this.nodeId, reason, detail: bounded(detail, ERROR_TEXT_CHARS), bytes, alsoRejectedSinceLastLog: this.rejectionsUnlogged });
    this.rejectionLoggedAt = now;
    this.rejectionsUnlogged = 0;
  }

  private onBus(payload: string): void {
    const decoded = this.codec.decode(payload);
    if (!decoded.ok) return this.busRejected(decoded.reason, decoded.detail, payload.length);
    const message = decoded.message;
    switch (message.t) {
      case 'req': {
        const reply = (res: BusMessage): void => {
          this.state.bus.publish(Keys.nodeChannel(message.from), this.codec.encode(res)).catch(() => undefined);
        };
        this.handleRequest(message.from, message.body).then(
          (value) => reply({ t: 'res', id: message.id, ok: true, value: value ?? null }),
          // The asking node passes the message on to its client (BAD_SDP): bounded here.
          (err: unknown) =>
            reply({
              t: 'res',
              id: message.id,
              ok: false,
              error: bounded(protocolErrorOf(err)?.message ?? (err instanceof Error ? err.message : errorText(err)), ERROR_TEXT_CHARS),
              gone: err instanceof GoneError,
              // The code crosses with the message: the client hears FORBIDDEN, TRACK_LIMIT or SERVICE_DEGRADED from the owner as from its own node.
              ...relayCode(err),
            }),
        );
        return;
      }
      case 'res': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.ok) waiting.resolve(message.value);
        else waiting.reject(relayError(message));
        return;
      }
      case 'evt': {
        const member = this.remote.get(message.participantId);
        if (member) {
          member.sink.send(message.message);
          return;
        }
        let early = this.early.get(message.participantId);
        if (!early) {
          const timer = setTimeout(() => this.early.delete(message.participantId), this.options.requestTimeoutMs);
          timer.unref();
          early = { messages: [], timer };
          this.early.set(message.participantId, early);
        }
        if (early.messages.length < 32) early.messages.push(message.message);
        return;
      }
      case 'end': {
        const member = this.remote.get(message.participantId);
        this.remote.delete(message.participantId);
        if (message.why === 'replaced') member?.sink.replaced();
        else member?.sink.moved();
        return;
      }
    }
  }
}

/** A relayed request whose node was judged dead before it answered: the client may try again shortly. */
class PeerDeadError extends CodedError {
  constructor(readonly node: string) {
    super(ErrorCode.Degraded, `node ${node} died before it answered`);
  }
}

/** The code a refusal carries back to the asking node, if it stands for one (GoneError has its own flag). */
function relayCode(err: unknown): { code?: ErrorCode } {
  const code = err instanceof GoneError ? undefined : codeOf(err);
  return code === undefined ? {} : { code };
}

/** The error a refused relayed request stands for on the edge: the owner's verdict, with its code. */
function relayError(res: { error: string; gone: boolean; code?: ErrorCode }): Error {
  if (res.gone) return new GoneError(res.error);
  if (res.code) return new CodedError(res.code, res.error);
  return new Error(res.error);
}

/** Fewest participants first, then least CPU, then id (so every node picks alike). */
export function pickLeastLoaded(nodes: NodeInfo[]): string | undefined {
  const sorted = [...nodes].sort((a, b) => a.participants - b.participants || a.cpu - b.cpu || a.id.localeCompare(b.id));
  return sorted[0]?.id;
}
