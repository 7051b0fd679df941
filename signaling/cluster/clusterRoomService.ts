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
//
// This file is the composition: each role is an object of its own with its own state
// (busRelay.ts, placement.ts, nodeLiveness.ts, roomOwner.ts, roomEdge.ts, resumeRecords.ts),
// told of the others' news through callbacks given here.
import { errorText } from '../clientValue.js';
import { refusalOf } from '../mediaRefusal.js';
import type { Logger } from '../log.js';
import type { PictureSize } from '../layers.js';
import type { PublishOptions, ChatMessage, ImpairmentSettings, LeaveReason, MediaKind, VideoSizeResult } from '../protocol.js';
import type { MemberSink } from '../room.js';
import type { LocalRoomService, MemberRef, RoomService, ServiceJoin, ServiceJoinOutcome } from '../roomService.js';
import { BusCodec, type BusRejection, type JoinFields } from './busMessages.js';
import { BusRejections } from './busRejections.js';
import { BusRelay } from './busRelay.js';
import { NodeLiveness, type DeathJudge } from './nodeLiveness.js';
import { Placement } from './placement.js';
import { PeerDeadError } from './relayErrors.js';
import { ResumeRecords } from './resumeRecords.js';
import { RoomEdge } from './roomEdge.js';
import { RoomOwner, type OwnerJoinOutcome } from './roomOwner.js';
import type { ClusterState } from './types.js';

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

export class ClusterRoomService implements RoomService {
  private readonly relay: BusRelay;
  private readonly placement: Placement;
  private readonly liveness: NodeLiveness;
  private readonly owner: RoomOwner;
  private readonly edge: RoomEdge;
  private readonly resumeRecords: ResumeRecords;
  private readonly timers: NodeJS.Timeout[] = [];
  private accepting = true;
  private closed = false;
  /**
   * When shared state last became available again after an outage: peers need a heartbeat
   * to reappear, owners a moment to take their leases back. Never, at start-up (the state
   * was there when we connected; a node of one has nothing to wait for).
   */
  private healthySince = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: ClusterState,
    private readonly local: LocalRoomService,
    private readonly options: ClusterOptions,
    private readonly log: Logger,
  ) {
    const { nodeId } = options;
    const codec = new BusCodec(options.busSecret);
    const rejections = new BusRejections(nodeId, log, options.onBusRejected);
    const healthySince = (): number => this.healthySince;
    this.relay = new BusRelay(state.bus, codec, rejections, {
      nodeId,
      requestTimeoutMs: options.requestTimeoutMs,
      handle: (from, body) => this.owner.handleRequest(from, body),
      onMemberMessage: (message) => this.edge.onMemberMessage(message),
    });
    this.owner = new RoomOwner(state, local, { nodeId, leaseTtlMs: options.leaseTtlMs, send: (node, message) => this.relay.send(node, message) }, log);
    this.edge = new RoomEdge({ request: (node, body) => this.relay.request(node, body), earlyEventsMs: options.requestTimeoutMs }, log);
    const edge = this.edge;
    const owner = this.owner;
    this.liveness = new NodeLiveness(
      state,
      codec,
      rejections,
      nodeId,
      {
        self: () => ({ id: nodeId, signalingUrl: options.signalingUrl, mediaAddress: options.mediaAddress, participants: local.stats().participants, cpu: options.cpu(), acceptingRooms: this.accepting }),
        nodeTtlMs: options.nodeTtlMs,
        beatIntervalMs: options.beatIntervalMs,
        deadAfterMs: options.deadAfterMs,
        // Runs four times a node TTL over every member: no per-member arrays.
        *peersInUse() {
          yield* edge.ownerNodes();
          yield* owner.edgeNodes();
        },
        healthySince,
        onPeersDied: (dead, judgedBy) => this.peersDied(dead, judgedBy),
      },
      log,
    );
    this.placement = new Placement(state, this.liveness, { nodeId, leaseTtlMs: options.leaseTtlMs, nodeTtlMs: options.nodeTtlMs, accepting: () => this.accepting, healthySince }, log);
    // A resume record lives while its socket does, and a grace period after.
    this.resumeRecords = new ResumeRecords(state.resume, options.resumeGraceMs + options.nodeTtlMs);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  async start(): Promise<void> {
    this.state.onHealthChange((healthy) => {
      if (healthy) this.healthySince = Date.now();
    });
    await this.relay.start();
    await this.liveness.start();
    await this.heartbeat();
    const every = (ms: number, task: () => Promise<void>): void => {
      const timer = setInterval(() => {
        task().catch((err: unknown) => this.log.debug('cluster task failed', { error: errorText(err) }));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.max(200, Math.floor(this.options.nodeTtlMs / 4)), () => this.heartbeat());
    every(Math.max(200, Math.floor(this.options.leaseTtlMs / 4)), () => this.owner.renewLeases());
    every(Math.max(200, Math.floor(this.options.nodeTtlMs / 4)), () => this.liveness.watchPeers());
    every(this.options.beatIntervalMs, () => this.liveness.beat());
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
        this.resumeRecords.release(participantId);
        join.sink.replaced();
      },
      moved: () => {
        this.resumeRecords.release(participantId);
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
    const owner = await this.placement.placeRoom(join.room);
    const fields: JoinFields = { room: join.room, identity: join.identity, name: join.name, grants: join.grants, ...(join.expiresAt !== undefined ? { expiresAt: join.expiresAt } : {}) };
    const resumeParticipantId = await this.resumeRecords.resumes(join.resumeToken, join.room, join.identity);
    if (join.resumeToken !== undefined && resumeParticipantId === undefined) {
      this.log.info('resume is a fresh join', { room: join.room, reason: 'resume token unknown, expired, or of another identity or room' });
    }
    const outcome: OwnerJoinOutcome = owner === this.nodeId ? await this.owner.join(fields, this.nodeId, () => sink, resumeParticipantId) : await this.edge.join(owner, fields, sink, resumeParticipantId);
    if (!outcome.ok) return outcome;
    joined(outcome.participantId);
    const record = { room: join.room, participantId: outcome.participantId, identity: join.identity, name: join.name };
    const resumeToken = await this.resumeRecords.issue(record, outcome.resumed ? join.resumeToken : undefined);
    return { ...outcome, resumeToken };
  }

  publish(ref: MemberRef, sdp: string, options: PublishOptions = {}): Promise<string> {
    return this.edge.route(ref, { op: 'publish', ref, sdp, ...options }, () => this.local.publish(ref, sdp, options)) as Promise<string>;
  }

  async answer(ref: MemberRef, sdp: string): Promise<void> {
    await this.edge.route(ref, { op: 'answer', ref, sdp }, () => this.local.answer(ref, sdp));
  }

  async mute(ref: MemberRef, kind: MediaKind, muted: boolean): Promise<void> {
    await this.edge.route(ref, { op: 'mute', ref, kind, muted }, () => this.local.mute(ref, kind, muted));
  }

  async rename(ref: MemberRef, name: string): Promise<void> {
    await this.edge.route(ref, { op: 'rename', ref, name }, () => this.local.rename(ref, name));
  }

  videoSize(ref: MemberRef, publisherId: string, tile: PictureSize): Promise<VideoSizeResult> {
    return this.edge.route(ref, { op: 'video-size', ref, publisherId, tile }, () => this.local.videoSize(ref, publisherId, tile)) as Promise<VideoSizeResult>;
  }

  async setImpairment(ref: MemberRef, settings: ImpairmentSettings | null): Promise<void> {
    await this.edge.route(ref, { op: 'impair', ref, settings }, () => this.local.setImpairment(ref, settings));
  }

  chat(ref: MemberRef, text: string): Promise<ChatMessage> {
    return this.edge.route(ref, { op: 'chat', ref, text }, () => this.owner.chat(ref, text)) as Promise<ChatMessage>;
  }

  async leave(ref: MemberRef, reason: LeaveReason): Promise<void> {
    await this.resumeRecords.end(ref.participantId);
    if (await this.edge.end(ref, 'leave', reason)) return;
    await this.owner.leave(ref, reason);
  }

  async detach(ref: MemberRef, reason: LeaveReason): Promise<void> {
    // No longer refreshed: the record expires when the grace period is over.
    this.resumeRecords.release(ref.participantId);
    if (await this.edge.end(ref, 'detach', reason)) return;
    await this.local.detach(ref, reason);
  }

  stats(): { rooms: number; participants: number } {
    return this.local.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.edge.close();
    await this.relay.close();
    // Leave nothing behind in shared state: our leases, rosters and registry entry.
    await this.owner.close();
    await this.local.close();
    await this.state.nodes.remove(this.nodeId).catch(() => undefined);
    await this.liveness.close();
    // The state was made for this service (server/rooms.ts) and ends with it.
    await this.state.close();
  }

  /** Our resume records and our registry entry, refreshed together. */
  private async heartbeat(): Promise<void> {
    await this.resumeRecords.refresh();
    await this.liveness.heartbeat();
  }

  /**
   * Dead peers: requests waiting on them fail, rooms they owned move (their members here
   * are told to join again), and members whose socket was on them are detached (they may
   * resume elsewhere).
   */
  private async peersDied(dead: ReadonlySet<string>, judgedBy: DeathJudge): Promise<void> {
    this.relay.peersDied(dead);
    this.edge.peersDied(dead, judgedBy);
    await this.owner.peersDied(dead);
  }
}
