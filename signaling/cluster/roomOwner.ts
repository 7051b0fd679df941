// The rooms this node owns. It hosts them in the LocalRoomService, keeps their leases and
// rosters alive in shared state, keeps their chat for late joiners (and for a new owner
// after a failover), and answers the requests that edges relay for members whose socket is
// on another node, sending those members' events back over the bus. It knows each member's
// edge, and speaks for a member only with the node holding its socket.
import { bounded, ERROR_TEXT_CHARS, errorText } from '../clientValue.js';
import type { Logger } from '../log.js';
import { CHAT_HISTORY, publishOptions, type ChatMessage, type LeaveReason, type ServerMessage } from '../protocol.js';
import type { MemberSink } from '../room.js';
import { GoneError, type HostJoinOutcome, type LocalRoomService, type MemberRef } from '../roomService.js';
import type { BusMessage, JoinFields, RelayOp } from './busMessages.js';
import type { ClusterState } from './types.js';

/** What the owner answers a join with: the host's outcome and the room's chat so far. */
export type OwnerJoinOutcome = (Extract<HostJoinOutcome, { ok: true }> & { chat: ChatMessage[] }) | Extract<HostJoinOutcome, { ok: false }>;

/** Renewals run four times a lease period; rosters are refreshed once a lease period. */
const ROSTER_REFRESH_EVERY = 4;

/**
 * A room's chat history outlives a quiet spell this long after its last message; it is
 * deleted as soon as the room empties, so this only bounds what a crashed owner leaves.
 */
const CHAT_TTL_MS = 24 * 60 * 60 * 1000;

export interface RoomOwnerOptions {
  nodeId: string;
  leaseTtlMs: number;
  /** Sends a message to another node's channel (busRelay.ts). */
  send: (node: string, message: BusMessage) => Promise<void>;
  now?: () => number;
}

export class RoomOwner {
  /** Rooms whose lease this node holds (or held, until it is released). */
  private readonly owned = new Set<string>();
  /** Edge node of every member of the rooms this node owns. */
  private readonly edges = new Map<string, { room: string; edge: string; joinedAt: number }>();
  /** Lease renewals so far; every ROSTER_REFRESH_EVERY-th one also refreshes the rosters. */
  private renewals = 0;
  private readonly now: () => number;

  constructor(
    private readonly state: ClusterState,
    private readonly local: LocalRoomService,
    private readonly options: RoomOwnerOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The nodes holding the sockets of this node's members (itself included). */
  *edgeNodes(): Iterable<string> {
    for (const { edge } of this.edges.values()) yield edge;
  }

  /**
   * Joins (or resumes) a member of a room this node owns. `sinkFor` gives the sink for the
   * member once its id is known; events sent before that are queued.
   */
  async join(join: JoinFields, edge: string, sinkFor: (participantId: string) => MemberSink, resumeParticipantId: string | undefined): Promise<OwnerJoinOutcome> {
    if (resumeParticipantId) {
      const resumed = this.local.resume(join.room, resumeParticipantId, sinkFor(resumeParticipantId), join);
      if (!('declined' in resumed)) {
        await this.recordMember(join, resumeParticipantId, edge);
        return { ...resumed, chat: await this.chatHistory(join.room) };
      }
      this.log.info('resume is a fresh join', { room: join.room, participant: resumeParticipantId, reason: resumed.declined });
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

  /** Tells the room at once, then keeps the message for late joiners (in order: one connection, one client). */
  async chat(ref: MemberRef, text: string): Promise<ChatMessage> {
    const message = this.local.chat(ref, text);
    await this.state.chat.append(ref.room, message, CHAT_HISTORY, CHAT_TTL_MS).catch((err: unknown) => {
      this.log.warn('chat message not kept for late joiners', { room: ref.room, error: errorText(err) });
    });
    return message;
  }

  /** A member left for good; the last one out gives the room's lease and chat back. */
  async leave(ref: MemberRef, reason: LeaveReason): Promise<void> {
    this.edges.delete(ref.participantId);
    await this.local.leave(ref, reason);
    await this.state.roster.remove(ref.room, ref.participantId).catch(() => undefined);
    if (this.local.members(ref.room).length === 0) {
      this.owned.delete(ref.room);
      await this.state.chat.clear(ref.room).catch(() => undefined);
      await this.state.leases.release(ref.room, this.options.nodeId).catch(() => undefined);
    }
  }

  /** A request an edge relayed for one of its sockets (busRelay.ts); what this throws goes back as the refusal. */
  async handleRequest(from: string, body: RelayOp): Promise<unknown> {
    // Only the node holding a member's socket speaks for it; the room service checks the
    // grants again, against what the member joined with.
    if (body.op !== 'join' && body.op !== 'leave' && body.op !== 'detach' && this.edges.get(body.ref.participantId)?.edge !== from) {
      throw new GoneError('not a member relayed by this node');
    }
    switch (body.op) {
      case 'join':
        return this.join(body.join, from, (participantId) => this.relaySink(from, participantId), body.resumeParticipantId);
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
        return this.chat(body.ref, body.text);
      case 'leave':
        if (this.edges.get(body.ref.participantId)?.edge !== from) return undefined;
        return this.leave(body.ref, body.reason);
      case 'detach':
        // A detach from an edge the participant already left (it resumed elsewhere) is stale.
        if (this.edges.get(body.ref.participantId)?.edge !== from) return undefined;
        return this.local.detach(body.ref, body.reason);
    }
  }

  /** Keeps our rooms' leases and rosters alive; a room whose lease another node took moves. */
  async renewLeases(): Promise<void> {
    if (!this.state.healthy()) return;
    const { nodeId, leaseTtlMs } = this.options;
    const hosted = new Set(this.local.roomIds());
    // Rooms that emptied here (a grace period ran out): give their lease, roster and chat back.
    for (const room of this.owned) {
      if (hosted.has(room)) continue;
      this.owned.delete(room);
      // A room that moved (evicted, drained) keeps its chat for the new owner.
      if ((await this.state.leases.owner(room)) === nodeId) await this.state.chat.clear(room);
      await this.state.leases.release(room, nodeId);
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
      let ours = await this.state.leases.renew(room, nodeId, leaseTtlMs);
      // After a Redis outage the lease may have expired with nobody taking it: take it back.
      if (!ours) ours = (await this.state.leases.acquire(room, nodeId, leaseTtlMs)) === nodeId;
      if (!ours) {
        this.log.warn('room lease lost; moving the room', { room });
        this.local.evict(room);
        continue;
      }
      if (!refreshRoster) continue;
      const members = this.local.members(room);
      for (const m of members) {
        const edge = this.edges.get(m.participantId);
        await this.state.roster.put(room, { ...m, edgeNodeId: edge?.edge ?? nodeId, joinedAt: edge?.joinedAt ?? this.now() }, this.rosterTtlMs());
      }
      for (const e of await this.state.roster.list(room)) {
        if (!members.some((m) => m.participantId === e.participantId)) await this.state.roster.remove(room, e.participantId);
      }
    }
  }

  /** Members whose socket was on a dead node are detached: they may resume elsewhere within the grace period. */
  async peersDied(dead: ReadonlySet<string>): Promise<void> {
    for (const [participantId, { room, edge }] of this.edges) {
      if (!dead.has(edge)) continue;
      this.edges.delete(participantId);
      await this.local.detach({ room, participantId }, 'disconnected');
    }
  }

  /** Leaves nothing behind in shared state: our rooms' leases and rosters. */
  async close(): Promise<void> {
    const { nodeId } = this.options;
    await Promise.allSettled(
      this.local.roomIds().flatMap((room) => [this.state.leases.release(room, nodeId), this.state.roster.list(room).then((entries) => Promise.all(entries.map((e) => this.state.roster.remove(room, e.participantId))))]),
    );
  }

  /** The room's chat so far; without shared state, none (the join matters more than the history). */
  private async chatHistory(room: string): Promise<ChatMessage[]> {
    return this.state.chat.list(room).catch((err: unknown) => {
      this.log.warn('chat history unavailable', { room, error: errorText(err) });
      return [];
    });
  }

  /** A sink on the owner for a member whose socket is on another node. */
  private relaySink(edge: string, participantId: string): MemberSink {
    const send = (message: BusMessage): void => {
      this.options.send(edge, message).catch(() => undefined);
    };
    return {
      send: (message) => send({ t: 'evt', participantId, message }),
      // The edge's session logs it and, for media abuse, closes the socket (4015).
      mediaFailed: (reason) => send({ t: 'media-failed', participantId, reason: bounded(reason, ERROR_TEXT_CHARS) }),
      replaced: () => send({ t: 'end', participantId, why: 'replaced' }),
      moved: () => send({ t: 'end', participantId, why: 'moved' }),
    };
  }

  private async recordMember(join: JoinFields, participantId: string, edge: string): Promise<void> {
    this.owned.add(join.room);
    // A resumed member keeps its join time; its edge may have changed.
    const joinedAt = this.edges.get(participantId)?.joinedAt ?? this.now();
    this.edges.set(participantId, { room: join.room, edge, joinedAt });
    await this.state.roster
      .put(join.room, { participantId, identity: join.identity, name: join.name, edgeNodeId: edge, joinedAt }, this.rosterTtlMs())
      .catch(() => undefined);
  }

  /** A roster entry outlives three missed refreshes (see ROSTER_REFRESH_EVERY). */
  private rosterTtlMs(): number {
    return this.options.leaseTtlMs * ROSTER_REFRESH_EVERY;
  }
}
