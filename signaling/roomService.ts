// What a session asks of rooms, whichever node the room lives on. The room service is
// cluster/clusterRoomService.ts, on one node (a cluster of one over in-memory state) and on
// many (over Redis) alike; it hosts the rooms this node owns in a LocalRoomService and
// relays to the room's owner when it is another node. Sessions never ask which.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Grants } from './auth.js';
import { GrantRefusedError, requireGrant } from './grants.js';
import type { MediaParticipant } from './media.js';
import { GoneError } from './errors.js';
import { ErrorCode, type PublishOptions, type ChatMessage, type ImpairmentSettings, type LeaveReason, type MediaKind, type ParticipantInfo, type VideoSizeResult } from './protocol.js';
import type { PictureSize } from './layers.js';
import type { MemberSink, RoomDirectory } from './room.js';
import { answerProblem, offerProblem, refuseIf, SdpRefusedError } from './sdpCheck.js';

export interface MemberRef {
  room: string;
  participantId: string;
}

export interface ServiceJoin {
  room: string;
  identity: string;
  name: string;
  grants: Grants;
  /** The token's `exp` (seconds since the epoch): grant-needing requests are refused after it. */
  expiresAt?: number;
  sink: MemberSink;
  /** From an earlier join result: continue as that participant if it is still in the room. */
  resumeToken?: string;
}

export type ServiceJoinOutcome =
  | {
      ok: true;
      participantId: string;
      /** Everyone else in the room. */
      others: ParticipantInfo[];
      impairment: ImpairmentSettings | null;
      resumeToken: string;
      /** True when an earlier participant continued: nobody saw a leave or a join. */
      resumed: boolean;
      /** The room's latest chat messages, oldest first. */
      chat: ChatMessage[];
    }
  | { ok: false; reason: 'full' | 'degraded' };

/** A join as the node hosting the room sees it: resume tokens and chat history are the room service's business. */
export type HostJoin = Omit<ServiceJoin, 'resumeToken'>;
/** Why a resume is a fresh join instead (logged; the client only sees `resumed: false`). */
export interface ResumeDeclined {
  declined: string;
}

export type HostJoinOutcome = { ok: true } & Omit<Extract<ServiceJoinOutcome, { ok: true }>, 'resumeToken' | 'ok' | 'chat'> | Extract<ServiceJoinOutcome, { ok: false }>;

export interface RoomService {
  join(join: ServiceJoin): Promise<ServiceJoinOutcome>;
  publish(ref: MemberRef, offerSdp: string, options?: PublishOptions): Promise<string>;
  answer(ref: MemberRef, answerSdp: string): Promise<void>;
  mute(ref: MemberRef, kind: MediaKind, muted: boolean): Promise<void>;
  /** The member's new display name; everyone else gets `participant-updated`. */
  rename(ref: MemberRef, name: string): Promise<void>;
  /** The member's tile for `publisherId`'s video is `tile` device pixels (see `video-size`). */
  videoSize(ref: MemberRef, publisherId: string, tile: PictureSize): Promise<VideoSizeResult>;
  setImpairment(ref: MemberRef, settings: ImpairmentSettings | null): Promise<void>;
  /** Sends a chat message to everyone in the room, the sender included; resolves with it as stamped. */
  chat(ref: MemberRef, text: string): Promise<ChatMessage>;
  /** The participant left for good. */
  leave(ref: MemberRef, reason: LeaveReason): Promise<void>;
  /** The participant's socket vanished: keep it for the resume grace period, then leave. */
  detach(ref: MemberRef, reason: LeaveReason): Promise<void>;
  stats(): { rooms: number; participants: number };
  close(): Promise<void>;
}

export const IMPAIRMENT_DISABLED = 'impairment is disabled on this server (SFU_IMPAIRMENT=true with the werift engine enables it)';

export { GoneError };

/** A resume token: random, long enough that guessing one is hopeless. */
export function newResumeToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The rooms this node hosts (owns): members, media and grants. It knows nothing of resume
 * tokens or other nodes; the room service in front of it does.
 */
export class LocalRoomService {
  constructor(
    readonly rooms: RoomDirectory,
    private readonly resumeGraceMs: number,
    /** SFU_IMPAIRMENT on this node (and an engine that can impair); checked here, where the room lives. */
    private readonly options: { impairmentEnabled?: boolean } = {},
  ) {}

  async join(join: HostJoin): Promise<HostJoinOutcome> {
    const room = this.rooms.getOrCreate(join.room);
    const participantId = randomUUID();
    const outcome = room.join({
      participantId,
      identity: join.identity,
      name: join.name,
      grants: join.grants,
      ...(join.expiresAt !== undefined ? { expiresAt: join.expiresAt } : {}),
      sink: join.sink,
    });
    if (!outcome.ok) {
      if (room.size === 0) room.close();
      return { ok: false, reason: outcome.reason };
    }
    return { ok: true, participantId, others: outcome.others, impairment: room.impairment, resumed: false };
  }

  /**
   * Continues a participant on a new sink (the cluster checked its resume token), or says
   * why it cannot: the participant is no longer in the room, or the token it resumes with
   * grants something else than the one it joined with. Then the caller joins it afresh
   * under the new token's grants (replacing the old participant), so that the grants this
   * node checks and the media plane's (subscribe) are never those of an older, stronger token.
   */
  resume(room: string, participantId: string, sink: MemberSink, token: { grants: Grants; expiresAt?: number | undefined }): Extract<HostJoinOutcome, { ok: true }> | ResumeDeclined {
    const r = this.rooms.get(room);
    const held = r?.member(participantId);
    if (!r || !held) return { declined: 'participant no longer in the room' };
    if (!sameGrants(held.grants, token.grants)) return { declined: 'token grants differ from the session\'s' };
    const member = r.reattach(participantId, sink);
    if (!member) return { declined: 'participant no longer in the room' };
    // The token of this join is the one that counts now: it moves the expiry on.
    if (token.expiresAt !== undefined) member.expiresAt = token.expiresAt;
    return {
      ok: true,
      participantId,
      others: r.participants().filter((p) => p.id !== participantId),
      impairment: r.impairment,
      resumed: true,
    };
  }

  /** Rooms of this node with their members, for the cluster's bookkeeping. */
  roomIds(): string[] {
    return this.rooms.ids();
  }

  hasMember(room: string, participantId: string): boolean {
    return this.rooms.get(room)?.member(participantId) !== undefined;
  }

  members(room: string): { participantId: string; identity: string; name: string }[] {
    return this.rooms.get(room)?.memberList() ?? [];
  }

  /** Ends a room here at once (its owner lease was lost): members are told it moved. */
  evict(room: string): void {
    this.rooms.get(room)?.evict();
  }

  /** The grants are checked here too: a request relayed from another node is not taken on trust. */
  async publish(ref: MemberRef, offerSdp: string, options: PublishOptions = {}): Promise<string> {
    const media = this.media(ref);
    const member = this.rooms.get(ref.room)?.member(ref.participantId);
    if (member) requireGrant(member, 'publish');
    refuseIf(offerProblem(offerSdp));
    return media.publish(offerSdp, options);
  }

  /**
   * Checked against the offer the member was sent before the media plane sees it: a
   * refused answer changes nothing, so the offer stays outstanding and a good answer
   * may still follow.
   */
  async answer(ref: MemberRef, answerSdp: string): Promise<void> {
    const media = this.media(ref);
    const offer = this.rooms.get(ref.room)?.member(ref.participantId)?.pendingOffer;
    if (!offer) throw new SdpRefusedError('no offer is waiting for an answer');
    refuseIf(answerProblem(offer.sdp, answerSdp));
    await media.answer(answerSdp);
    this.rooms.get(ref.room)?.offerAnswered(ref.participantId);
  }

  async mute(ref: MemberRef, kind: MediaKind, muted: boolean): Promise<void> {
    this.rooms.get(ref.room)?.setMuted(ref.participantId, kind, muted);
  }

  async rename(ref: MemberRef, name: string): Promise<void> {
    this.rooms.get(ref.room)?.rename(ref.participantId, name);
  }

  /** Stamps the message with the member's id and name and tells the whole room. */
  chat(ref: MemberRef, text: string): ChatMessage {
    const message = this.rooms.get(ref.room)?.chat(ref.participantId, text);
    if (!message) throw new GoneError('not in the room');
    return message;
  }

  /** Engines that forward one layer accept it and change nothing. */
  async videoSize(ref: MemberRef, publisherId: string, tile: PictureSize): Promise<VideoSizeResult> {
    return this.media(ref).preferVideoSize?.(publisherId, tile) ?? { layers: [], spatialLayer: null };
  }

  async setImpairment(ref: MemberRef, settings: ImpairmentSettings | null): Promise<void> {
    const room = this.rooms.get(ref.room);
    const member = room?.member(ref.participantId);
    if (!room || !member) throw new GoneError('not in the room');
    requireGrant(member, 'admin');
    if (!this.options.impairmentEnabled) throw new GrantRefusedError(ErrorCode.Forbidden, IMPAIRMENT_DISABLED);
    room.setImpairment(settings);
  }

  async leave(ref: MemberRef, reason: LeaveReason): Promise<void> {
    this.rooms.get(ref.room)?.leave(ref.participantId, reason);
  }

  async detach(ref: MemberRef, reason: LeaveReason): Promise<void> {
    const room = this.rooms.get(ref.room);
    if (!room) return;
    if (this.resumeGraceMs <= 0) return this.leave(ref, reason);
    room.detach(ref.participantId, this.resumeGraceMs, reason);
  }

  stats(): { rooms: number; participants: number } {
    return this.rooms.stats();
  }

  async close(): Promise<void> {
    this.rooms.closeAll();
  }

  private media(ref: MemberRef): MediaParticipant {
    const media = this.rooms.get(ref.room)?.member(ref.participantId)?.media;
    if (!media) throw new GoneError('not in the room');
    return media;
  }
}

function sameGrants(a: Grants, b: Grants): boolean {
  return a.publish === b.publish && a.subscribe === b.subscribe && a.admin === b.admin;
}
