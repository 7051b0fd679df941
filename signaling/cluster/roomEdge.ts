// Members whose socket is on this node while their room lives on another (the owner). The
// edge relays their requests to the owner and passes the owner's events to their sockets.
// The owner may send a member's first event (an offer) before the edge has read the join's
// answer: such events are kept briefly and delivered when the join completes.
import type { Logger } from '../log.js';
import type { LeaveReason, ServerMessage } from '../protocol.js';
import type { MemberSink } from '../room.js';
import type { MemberRef } from '../roomService.js';
import type { JoinFields, RelayOp } from './busMessages.js';
import type { MemberMessage } from './busRelay.js';
import type { OwnerJoinOutcome } from './roomOwner.js';

/** At most this many events are kept for a member whose join has not completed here. */
const EARLY_EVENTS_MAX = 32;

/** A relayed participant: its socket is here, its room on `owner`. */
interface RemoteMember {
  room: string;
  owner: string;
  sink: MemberSink;
}

export interface RoomEdgeOptions {
  /** Relays a request to `node` (busRelay.ts). */
  request: (node: string, body: RelayOp) => Promise<unknown>;
  /** How long events wait for their member's join to complete here. */
  earlyEventsMs: number;
}

export class RoomEdge {
  /** Sockets on this node whose room lives on another node, by participant id. */
  private readonly remote = new Map<string, RemoteMember>();
  /** Events for relayed participants this node does not know yet, by participant id. */
  private readonly early = new Map<string, { messages: ServerMessage[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly options: RoomEdgeOptions,
    private readonly log: Logger,
  ) {}

  /** The owners of this node's relayed members (repeated once per member). */
  *ownerNodes(): Iterable<string> {
    for (const { owner } of this.remote.values()) yield owner;
  }

  /** Joins the room on its owner; from then on the member's events go to `sink`. */
  async join(owner: string, join: JoinFields, sink: MemberSink, resumeParticipantId: string | undefined): Promise<OwnerJoinOutcome> {
    const outcome = (await this.options.request(owner, { op: 'join', join, ...(resumeParticipantId ? { resumeParticipantId } : {}) })) as OwnerJoinOutcome;
    if (!outcome.ok) return outcome;
    this.remote.set(outcome.participantId, { room: join.room, owner, sink });
    const early = this.early.get(outcome.participantId);
    this.early.delete(outcome.participantId);
    if (early) {
      clearTimeout(early.timer);
      for (const m of early.messages) sink.send(m);
    }
    return outcome;
  }

  /** A request for a member: relayed to its owner when relayed here, else done `here`. */
  route(ref: MemberRef, body: RelayOp, here: () => Promise<unknown>): Promise<unknown> {
    const remote = this.remote.get(ref.participantId);
    return remote ? this.options.request(remote.owner, body) : here();
  }

  /**
   * The member's socket ended (`leave` for good, `detach` for a resume within the grace
   * period): told to its owner. False when the member is not relayed here.
   */
  async end(ref: MemberRef, op: 'leave' | 'detach', reason: LeaveReason): Promise<boolean> {
    const remote = this.remote.get(ref.participantId);
    this.remote.delete(ref.participantId);
    if (!remote) return false;
    await this.options.request(remote.owner, { op, ref, reason }).catch(() => undefined);
    return true;
  }

  /** An owner's message for one of the sockets here (busRelay.ts). */
  onMemberMessage(message: MemberMessage): void {
    const member = this.remote.get(message.participantId);
    if (message.t === 'media-failed') {
      member?.sink.mediaFailed(message.reason);
      return;
    }
    if (message.t === 'end') {
      this.remote.delete(message.participantId);
      if (message.why === 'replaced') member?.sink.replaced();
      else member?.sink.moved();
      return;
    }
    if (member) {
      member.sink.send(message.message);
      return;
    }
    let early = this.early.get(message.participantId);
    if (!early) {
      const timer = setTimeout(() => this.early.delete(message.participantId), this.options.earlyEventsMs);
      timer.unref();
      early = { messages: [], timer };
      this.early.set(message.participantId, early);
    }
    if (early.messages.length < EARLY_EVENTS_MAX) early.messages.push(message.message);
  }

  /** Rooms whose owner died move: their members here are told to join again. */
  peersDied(dead: ReadonlySet<string>, judgedBy: string): void {
    for (const [participantId, member] of this.remote) {
      if (!dead.has(member.owner)) continue;
      this.remote.delete(participantId);
      this.log.warn('room owner is gone; the room moves', { room: member.room, owner: member.owner, participant: participantId, judgedBy });
      member.sink.moved();
    }
  }

  close(): void {
    for (const { timer } of this.early.values()) clearTimeout(timer);
    this.early.clear();
  }
}
