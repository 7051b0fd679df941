// The media side of one room: its participants and the tracks they publish. Every track
// is forwarded to every other participant that may subscribe.
import type { MediaStreamTrack, RTCRtpReceiver } from 'werift';
import type { Grants } from '../../signaling/auth.js';
import type { MediaParticipantEvents, MediaRoom } from '../../signaling/media.js';
import type { MediaKind } from '../../signaling/protocol.js';
import type { RtcOptions } from './rtcConfig.js';
import { SfuParticipant, type ParticipantRoomLink } from './sfuParticipant.js';
import { TrackForwarder } from './trackForwarder.js';

export class SfuRoom implements MediaRoom, ParticipantRoomLink {
  private readonly participants = new Map<string, { media: SfuParticipant; events: MediaParticipantEvents }>();
  /** Forwarders by publisher participant id. */
  private readonly forwarders = new Map<string, TrackForwarder[]>();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly rtc: RtcOptions,
    private readonly onClose: (room: SfuRoom) => void,
  ) {}

  join(participantId: string, grants: Grants, events: MediaParticipantEvents): SfuParticipant {
    if (this.closed) throw new Error(`media room ${this.id} is closed`);
    const media = new SfuParticipant(participantId, grants, events, this, this.rtc);
    this.participants.set(participantId, { media, events });
    for (const [publisherId, list] of this.forwarders) {
      if (publisherId === participantId) continue;
      for (const forwarder of list) media.subscribe(forwarder);
    }
    return media;
  }

  trackPublished(publisher: SfuParticipant, kind: MediaKind, track: MediaStreamTrack, receiver: RTCRtpReceiver): void {
    if (this.closed || publisher.isClosed) return;
    const forwarder = new TrackForwarder(publisher.id, kind, track, receiver);
    const list = this.forwarders.get(publisher.id) ?? [];
    list.push(forwarder);
    this.forwarders.set(publisher.id, list);
    for (const [id, { media }] of this.participants) {
      if (id !== publisher.id) media.subscribe(forwarder);
    }
    this.participants.get(publisher.id)?.events.publishing([...new Set(list.map((f) => f.kind))].sort());
  }

  connectionFailed(participant: SfuParticipant, reason: string): void {
    this.participants.get(participant.id)?.events.failed(reason);
  }

  /** Forwarders of this room, for metrics and tests. */
  allForwarders(): TrackForwarder[] {
    return [...this.forwarders.values()].flat();
  }

  stats(): { participants: number; peerConnections: number; forwarders: number } {
    let peerConnections = 0;
    for (const { media } of this.participants.values()) peerConnections += media.peerConnectionCount;
    return { participants: this.participants.size, peerConnections, forwarders: this.allForwarders().length };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { media } of [...this.participants.values()]) media.close();
    this.participants.clear();
    this.onClose(this);
  }

  /** A participant closed (left): its tracks go away from everyone else. */
  participantClosed(media: SfuParticipant): void {
    const participantId = media.id;
    if (this.participants.get(participantId)?.media !== media) return;
    this.participants.delete(participantId);
    const published = this.forwarders.get(participantId) ?? [];
    this.forwarders.delete(participantId);
    for (const forwarder of published) {
      for (const { media: other } of this.participants.values()) other.unsubscribe(forwarder);
      forwarder.close();
    }
  }
}
