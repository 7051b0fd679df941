// A media plane without media: records which rooms and participants were opened and
// closed, and lets a test play the SFU's part (send an offer, report published kinds,
// answer or refuse SDP).
import type { Grants } from '../../signaling/auth.js';
import type { MediaParticipant, MediaParticipantEvents, MediaPlane, MediaRoom, MediaRoomEvents } from '../../signaling/media.js';
import type { ImpairmentSettings } from '../../signaling/protocol.js';

export class FakeMediaParticipant implements MediaParticipant {
  closed = false;
  /** How the SFU answers a publisher offer; replace to make it refuse. */
  onPublish: (offerSdp: string) => Promise<string> = async () => 'v=0 fake-answer';
  /** How the SFU takes a subscriber answer; replace to make it refuse. */
  onAnswer: (answerSdp: string) => Promise<void> = async () => {};
  readonly answers: string[] = [];

  constructor(
    readonly participantId: string,
    readonly grants: Grants,
    readonly events: MediaParticipantEvents,
  ) {}

  publish(offerSdp: string): Promise<string> {
    return this.onPublish(offerSdp);
  }

  answer(answerSdp: string): Promise<void> {
    this.answers.push(answerSdp);
    return this.onAnswer(answerSdp);
  }

  close(): void {
    this.closed = true;
  }
}

export class FakeMediaRoom implements MediaRoom {
  closed = false;
  impairment: ImpairmentSettings | null = null;
  readonly participants = new Map<string, FakeMediaParticipant>();

  constructor(
    readonly id: string,
    /** How the test plays the engine losing the room (a mediasoup worker dying). */
    readonly events: MediaRoomEvents,
  ) {}

  join(participantId: string, grants: Grants, events: MediaParticipantEvents): FakeMediaParticipant {
    if (this.closed) throw new Error(`media room ${this.id} is closed`);
    const participant = new FakeMediaParticipant(participantId, grants, events);
    this.participants.set(participantId, participant);
    return participant;
  }

  setImpairment(settings: ImpairmentSettings | null): void {
    this.impairment = settings;
  }

  close(): void {
    this.closed = true;
  }
}

export class FakeMediaPlane implements MediaPlane {
  /** Every media room ever opened, oldest first. */
  readonly opened: FakeMediaRoom[] = [];

  openRoom(roomId: string, events: MediaRoomEvents): FakeMediaRoom {
    const room = new FakeMediaRoom(roomId, events);
    this.opened.push(room);
    return room;
  }

  /** The media side of a participant, wherever it was opened. */
  participant(participantId: string): FakeMediaParticipant {
    for (const room of this.opened) {
      const p = room.participants.get(participantId);
      if (p) return p;
    }
    throw new Error(`no media participant ${participantId}`);
  }

  openRooms(): FakeMediaRoom[] {
    return this.opened.filter((r) => !r.closed);
  }
}
