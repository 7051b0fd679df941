// What signaling needs from a media plane. The SFU in server/sfu implements it; another
// engine could sit behind the same few calls.
import type { Grants } from './auth.js';
import type { PictureSize } from './layers.js';
import type { ImpairmentSettings, PublishOptions, ServerStreamStats, TrackMapping, TrackSource, VideoSizeResult } from './protocol.js';

export interface MediaPlane {
  /** Opens the media side of a room; called when its first participant joins. */
  openRoom(roomId: string, events: MediaRoomEvents): MediaRoom;
}

export interface MediaRoomEvents {
  /**
   * The room's media is gone for good (the engine process that held it died): every
   * participant must join again, which opens the room anew on a live part of the engine.
   */
  lost(reason: string): void;
}

export interface MediaRoom {
  join(participantId: string, grants: Grants, events: MediaParticipantEvents): MediaParticipant;
  /** Impairs what the SFU forwards in this room (null: off). */
  setImpairment(settings: ImpairmentSettings | null): void;
  /** Releases every connection, port and timer of the room. */
  close(): void;
}

export interface MediaParticipantEvents {
  /** The SFU wants to (re)negotiate this participant's subscriber connection. */
  offer(sdp: string, tracks: TrackMapping[]): void;
  /** What this participant publishes changed (tracks arrived, ended, or the screen share started or stopped). */
  publishing(sources: TrackSource[]): void;
  /** The participant's media connections failed for good. */
  failed(reason: string): void;
  /** The SFU's periodic measurements of this participant's streams. */
  stats(at: number, streams: ServerStreamStats[]): void;
}

export interface MediaParticipant {
  /**
   * Applies the participant's publisher offer and returns the SFU's answer. `video` is the
   * camera's capture size; `screen` the mid of the screen share's m-line: sending, it is
   * forwarded as source `screen`; inactive, the share has stopped.
   */
  publish(offerSdp: string, options?: PublishOptions): Promise<string>;
  /** Applies the participant's answer to the latest subscriber offer. */
  answer(answerSdp: string): Promise<void>;
  /** The participant's tile for `publisherId`'s video is `tile` device pixels; engines with one layer leave this out. */
  preferVideoSize?(publisherId: string, tile: PictureSize): VideoSizeResult;
  close(): void;
}
