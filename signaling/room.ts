// Rooms and their members: who is in which room, what they publish, and who hears about
// what. A room opens its media side on the first join and closes it when the last
// member leaves, so an empty room holds nothing.
import { randomBytes } from 'node:crypto';
import type { Grants } from './auth.js';
import { errorText } from './clientValue.js';
import { createLogger, type Logger } from './log.js';
import type { MediaParticipant, MediaPlane, MediaRoom } from './media.js';
import type { ChatMessage, ImpairmentSettings, LeaveReason, MediaKind, ParticipantInfo, ServerMessage, ServerStreamStats, TrackMapping, TrackSource } from './protocol.js';

/** How a room reaches one member's socket. */
export interface MemberSink {
  send(message: ServerMessage): void;
  /** The member's media failed for good. */
  mediaFailed(reason: string): void;
  /** The same identity joined again elsewhere; this member is already out of the room. */
  replaced(): void;
  /** The room cannot stay on this node (its owner lease was lost): reconnect and join again. */
  moved(): void;
}

export interface JoinInput {
  participantId: string;
  identity: string;
  name: string;
  grants: Grants;
  /** The token's `exp` (seconds since the epoch); its grants end then. */
  expiresAt?: number;
  sink: MemberSink;
}

export class Member {
  readonly participantId: string;
  /** Where events for this member go; swapped when the member resumes on another socket. */
  sink: MemberSink;
  /** The latest subscriber offer not yet answered: sent again when the member resumes. */
  pendingOffer: { sdp: string; tracks: TrackMapping[] } | undefined;
  /** Set while the member's socket is gone and it may still resume. */
  graceTimer: NodeJS.Timeout | undefined;
  readonly identity: string;
  /** The token's name until the participant changes it (`set-name`). */
  name: string;
  readonly grants: Grants;
  /** The token's `exp`; a resume with a newer token of the same identity moves it on. */
  expiresAt: number | undefined;
  publishing: MediaKind[] = [];
  muted = { audio: false, video: false };
  screen = false;
  media: MediaParticipant | undefined;

  constructor(input: JoinInput) {
    this.sink = input.sink;
    this.participantId = input.participantId;
    this.identity = input.identity;
    this.name = input.name;
    this.grants = input.grants;
    this.expiresAt = input.expiresAt;
  }

  info(): ParticipantInfo {
    return { id: this.participantId, name: this.name, publishing: [...this.publishing], muted: { ...this.muted }, screen: this.screen };
  }
}

export type JoinOutcome = { ok: true; member: Member; others: ParticipantInfo[]; replaced: Member | undefined } | { ok: false; reason: 'full' };

export class Room {
  private readonly members = new Map<string, Member>();
  private media: MediaRoom | undefined;
  private closed = false;
  /** The room's controlled impairment, if an admin set one. */
  impairment: ImpairmentSettings | null = null;

  constructor(
    readonly id: string,
    private readonly mediaPlane: MediaPlane,
    private readonly maxParticipants: number,
    private readonly onEmpty: (room: Room) => void,
    private readonly log: Logger = createLogger('silent'),
  ) {}

  get size(): number {
    return this.members.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  participants(): ParticipantInfo[] {
    return [...this.members.values()].map((m) => m.info());
  }

  memberByIdentity(identity: string): Member | undefined {
    for (const m of this.members.values()) if (m.identity === identity) return m;
    return undefined;
  }

  /**
   * Adds a member. A member with the same identity is replaced (and returned, so the
   * caller can close its socket): the newest socket of a person wins.
   */
  join(input: JoinInput): JoinOutcome {
    if (this.closed) throw new Error(`room ${this.id} is closed`);
    const replaced = this.memberByIdentity(input.identity);
    if (replaced) this.remove(replaced.participantId, 'replaced');
    if (this.members.size >= this.maxParticipants) return { ok: false, reason: 'full' };

    const others = this.participants();
    const member = new Member(input);
    this.members.set(member.participantId, member);
    this.media ??= this.mediaPlane.openRoom(this.id, { lost: () => this.evict() });
    try {
      member.media = this.joinMedia(member);
    } catch (err) {
      // The media plane refused (MEDIA_CAPACITY): the member was never in the room.
      this.members.delete(member.participantId);
      if (this.members.size === 0) this.close();
      throw err;
    }
    this.broadcast({ type: 'participant-joined', participant: member.info() }, member.participantId);
    replaced?.sink.replaced();
    return { ok: true, member, others, replaced };
  }

  private joinMedia(member: Member): MediaParticipant {
    return this.media!.join(member.participantId, member.grants, {
      offer: (sdp: string, tracks: TrackMapping[]) => {
        member.pendingOffer = { sdp, tracks };
        member.sink.send({ type: 'offer', sdp, tracks });
      },
      publishing: (sources: TrackSource[]) => {
        member.publishing = kindsOf(sources);
        member.screen = sources.includes('screen');
        this.broadcast({ type: 'participant-updated', participant: member.info() }, member.participantId);
      },
      failed: (reason: string) => member.sink.mediaFailed(reason),
      stats: (at: number, streams: ServerStreamStats[]) => member.sink.send({ type: 'media-stats', at, streams }),
    });
  }

  /** Sets or clears the room's impairment and tells everyone, including the admin. */
  setImpairment(settings: ImpairmentSettings | null): void {
    this.impairment = settings;
    this.media?.setImpairment(settings);
    this.broadcast({ type: 'impairment', settings }, undefined);
  }

  setMuted(participantId: string, kind: MediaKind, muted: boolean): void {
    const member = this.members.get(participantId);
    if (!member || member.muted[kind] === muted) return;
    member.muted[kind] = muted;
    this.broadcast({ type: 'participant-updated', participant: member.info() }, participantId);
  }

  /** A member's new display name, told to everyone else. */
  rename(participantId: string, name: string): void {
    const member = this.members.get(participantId);
    if (!member || member.name === name) return;
    member.name = name;
    this.broadcast({ type: 'participant-updated', participant: member.info() }, participantId);
  }

  /** A chat message from a member to everyone, itself included; undefined when it is not a member. */
  chat(participantId: string, text: string): ChatMessage | undefined {
    const member = this.members.get(participantId);
    if (!member) return undefined;
    const message: ChatMessage = { id: randomBytes(9).toString('base64url'), participantId, name: member.name, text, at: Date.now() };
    this.broadcast({ type: 'chat', message }, undefined);
    return message;
  }

  /** Removes a member, releases its media and tells everyone else. Idempotent. */
  leave(participantId: string, reason: LeaveReason): void {
    this.remove(participantId, reason);
    if (this.members.size === 0) this.close();
  }

  /**
   * The member's socket went away without a leave: keep it (and its media) for graceMs so
   * it can resume; after that it leaves with the given reason.
   */
  detach(participantId: string, graceMs: number, reason: LeaveReason): void {
    const member = this.members.get(participantId);
    if (!member) return;
    if (graceMs <= 0) return this.leave(participantId, reason);
    clearTimeout(member.graceTimer);
    member.sink = { send: () => undefined, mediaFailed: () => undefined, replaced: () => undefined, moved: () => undefined };
    member.graceTimer = setTimeout(() => {
      member.graceTimer = undefined;
      // Outside any request: a throw here would end the process.
      try {
        this.leave(participantId, reason);
      } catch (err) {
        this.log.error('leave after the resume grace period failed', { room: this.id, participant: participantId, error: errorText(err) });
      }
    }, graceMs);
  }

  /** A detached (or live) member continues on a new socket; nobody else notices. */
  reattach(participantId: string, sink: MemberSink): Member | undefined {
    const member = this.members.get(participantId);
    if (!member) return undefined;
    clearTimeout(member.graceTimer);
    member.graceTimer = undefined;
    const previous = member.sink;
    member.sink = sink;
    previous.replaced();
    if (member.pendingOffer) sink.send({ type: 'offer', ...member.pendingOffer });
    return member;
  }

  /** The member answered its latest subscriber offer. */
  offerAnswered(participantId: string): void {
    const member = this.members.get(participantId);
    if (member) member.pendingOffer = undefined;
  }

  member(participantId: string): Member | undefined {
    return this.members.get(participantId);
  }

  memberList(): { participantId: string; identity: string; name: string }[] {
    return [...this.members.values()].map((m) => ({ participantId: m.participantId, identity: m.identity, name: m.name }));
  }

  private remove(participantId: string, reason: LeaveReason): void {
    const member = this.members.get(participantId);
    if (!member) return;
    clearTimeout(member.graceTimer);
    this.members.delete(participantId);
    this.releaseMedia(participantId, member.media);
    member.media = undefined;
    this.broadcast({ type: 'participant-left', participantId, reason }, participantId);
  }

  /** Closes media: an engine that throws is logged, and the leave (or the room's close) goes on, so the others still hear of it. */
  private releaseMedia(participantId: string | undefined, media: { close(): void } | undefined): void {
    try {
      media?.close();
    } catch (err) {
      this.log.error('media close failed', { room: this.id, participant: participantId, error: errorText(err) });
    }
  }

  /** Ends the room here and tells every member it moved; nobody is announced as left. */
  evict(): void {
    if (this.closed) return;
    const members = [...this.members.values()];
    this.members.clear();
    for (const m of members) {
      clearTimeout(m.graceTimer);
      this.releaseMedia(m.participantId, m.media);
      m.media = undefined;
      m.sink.moved();
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    for (const id of [...this.members.keys()]) this.remove(id, 'disconnected');
    this.closed = true;
    this.releaseMedia(undefined, this.media);
    this.media = undefined;
    this.onEmpty(this);
  }

  private broadcast(message: ServerMessage, except: string | undefined): void {
    for (const m of this.members.values()) {
      if (m.participantId === except) continue;
      try {
        m.sink.send(message);
      } catch {
        // One broken socket must not stop the others from hearing the news.
      }
    }
  }
}

/** Every open room of this node, created on first join and dropped when empty. */
export class RoomDirectory {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly mediaPlane: MediaPlane,
    private readonly maxParticipants: number,
    private readonly log: Logger = createLogger('silent'),
  ) {}

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  getOrCreate(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room || room.isClosed) {
      room = new Room(
        roomId,
        this.mediaPlane,
        this.maxParticipants,
        (r) => {
          if (this.rooms.get(r.id) === r) this.rooms.delete(r.id);
        },
        this.log,
      );
      this.rooms.set(roomId, room);
    }
    return room;
  }

  ids(): string[] {
    return [...this.rooms.keys()];
  }

  stats(): { rooms: number; participants: number } {
    let participants = 0;
    for (const r of this.rooms.values()) participants += r.size;
    return { rooms: this.rooms.size, participants };
  }

  closeAll(): void {
    for (const room of [...this.rooms.values()]) room.close();
  }
}

/** The kinds a participant's microphone and camera send (the screen share is not its camera). */
function kindsOf(sources: TrackSource[]): MediaKind[] {
  const kinds: MediaKind[] = [];
  if (sources.includes('microphone')) kinds.push('audio');
  if (sources.includes('camera')) kinds.push('video');
  return kinds;
}
