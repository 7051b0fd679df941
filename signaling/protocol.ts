// The signaling protocol, version 1: every message a client may send, every message the
// server sends, and the stable error and close codes. PROTOCOL.md documents the same
// things for people. Shared by server and client; the schemas live in schema.ts.

import type { PictureSize } from './layers.js';

export const PROTOCOL_VERSION = 1;

/** Largest text frame the server reads; bigger ones get a TOO_LARGE error response. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Frames above this are refused by the socket itself (close 1009). */
export const HARD_MAX_FRAME_BYTES = 1024 * 1024;

export type MediaKind = 'audio' | 'video';

export type ClientMessageType = 'join' | 'publish' | 'answer' | 'mute' | 'leave' | 'ping' | 'set-impairment' | 'video-size' | 'chat' | 'set-name';

/** Longest chat message, in characters (UTF-16 code units, as the browser counts a textarea's length). */
export const CHAT_MAX_CHARS = 1000;
/** Chat messages a room keeps for late joiners (in shared state in a cluster). */
export const CHAT_HISTORY = 50;

// ---- shared shapes ----

export interface ParticipantInfo {
  id: string;
  name: string;
  /** Kinds this participant currently publishes from its microphone and camera. */
  publishing: MediaKind[];
  muted: { audio: boolean; video: boolean };
  /** True while this participant shares its screen (a video track of its own). */
  screen: boolean;
}

/** Where a published track comes from: the screen share is a second video track. */
export type TrackSource = 'microphone' | 'camera' | 'screen';

/** Which participant, kind and source arrive on a transceiver of the subscriber connection. */
export interface TrackMapping {
  mid: string;
  participantId: string;
  kind: MediaKind;
  source: TrackSource;
}

/** What a `publish` says besides its SDP: the camera's capture size, and which m-line is the screen. */
export interface PublishOptions {
  video?: PictureSize;
  /** The mid of the video m-line that carries the screen share (sending or inactive). */
  screen?: string;
}

/** A publish's options from a message that carries them (a request, a relayed op), without the fields it leaves out. */
export function publishOptions(msg: { video?: PictureSize | undefined; screen?: string | undefined }): PublishOptions {
  return { ...(msg.video ? { video: msg.video } : {}), ...(msg.screen ? { screen: msg.screen } : {}) };
}

/**
 * The SFU's own view of one stream of a participant's call, sent in `media-stats`.
 * `inbound`: what the SFU receives from this participant (its uplink), measured per
 * RFC 3550. `outbound`: what the SFU sends to this participant (another publisher's
 * track), as this participant's RTCP receiver reports describe it.
 */
export interface ServerStreamStats {
  direction: 'inbound' | 'outbound';
  /** The publisher of the stream (this participant itself for inbound streams). */
  participantId: string;
  kind: MediaKind;
  /** Cumulative packets received (inbound) or sent (outbound). */
  packets: number;
  /** Loss in percent over the last interval (inbound) or the latest receiver report (outbound). */
  lossPercent: number | null;
  /** Interarrival jitter in milliseconds (RFC 3550 A.8; from receiver reports for outbound). */
  jitterMs: number | null;
  /** Round-trip time from RTCP SR/RR (outbound only). */
  rttMs: number | null;
  /** Packets the controlled impairment dropped on the way to this participant (outbound only). */
  impairmentDropped: number;
}

/** Controlled impairment of what the SFU forwards in a room (see `set-impairment`). */
export interface ImpairmentSettings {
  /** Percent of forwarded packets dropped, 0..100. */
  lossPercent: number;
  /** Added one-way delay in milliseconds. */
  delayMs: number;
  /** Uniform random extra delay in milliseconds, 0..jitterMs. */
  jitterMs: number;
  /** Which streams are impaired. */
  kind: MediaKind | 'all';
  /** Only packets sent to this participant; every subscriber when absent. */
  subscriberId?: string;
}

/** One chat message, as the room's owner stamped it: the sender's id and name are the server's, never the client's. */
export interface ChatMessage {
  /** Unique within the room: a message seen both in the join result and as an event is one message. */
  id: string;
  participantId: string;
  name: string;
  text: string;
  /** Milliseconds since the epoch, on the room owner's clock. */
  at: number;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface JoinResult {
  protocol: number;
  participantId: string;
  name: string;
  room: string;
  participants: ParticipantInfo[];
  iceServers: IceServer[];
  grants: { publish: boolean; subscribe: boolean; admin: boolean };
  /** Server pings at this interval; a socket that misses a pong is terminated at the next ping. */
  heartbeatMs: number;
  /** The room's controlled impairment, if an admin set one. */
  impairment: ImpairmentSettings | null;
  /** Send it as `resume` in a later join to continue as this participant after a drop. */
  resumeToken: string;
  /** True when this join continued an earlier participant (nobody saw a leave or join). */
  resumed: boolean;
  /** What the server's media engine does with what the page publishes. */
  media: MediaCapabilities;
  /** The room's latest chat messages (at most CHAT_HISTORY), oldest first. */
  chat: ChatMessage[];
}

/** The result of `video-size`: the publisher's simulcast layers and the one this subscriber now gets. */
export interface VideoSizeResult {
  /** The publisher's layer sizes, lowest first; empty when the engine forwards one layer (or the sizes are unknown). */
  layers: { width: number; height: number }[];
  /** Index into `layers` of the layer preferred for this tile; null when nothing was chosen. */
  spatialLayer: number | null;
}

/** The media engine behind the SFU, as far as a page needs to know it. */
export interface MediaCapabilities {
  engine: 'mediasoup' | 'werift';
  /** Publish video in simulcast layers (rids h, f or q, h, f, lowest first): the SFU picks one per subscriber. */
  simulcast: boolean;
}

// ---- errors ----

/** Stable error codes carried in error responses. */
export const ErrorCode = {
  BadJson: 'BAD_JSON',
  BadMessage: 'BAD_MESSAGE',
  UnknownType: 'UNKNOWN_TYPE',
  TooLarge: 'TOO_LARGE',
  NotJoined: 'NOT_JOINED',
  AlreadyJoined: 'ALREADY_JOINED',
  Forbidden: 'FORBIDDEN',
  /** The token's `exp` passed during the session: grant-needing requests are refused until a new join. */
  TokenExpired: 'TOKEN_EXPIRED',
  BadSdp: 'BAD_SDP',
  RateLimited: 'RATE_LIMITED',
  /** The cluster's shared state is unavailable; try again shortly. */
  Degraded: 'SERVICE_DEGRADED',
  Internal: 'INTERNAL',
  /** A publish offer carries more tracks than MAX_TRACKS_PER_PARTICIPANT. */
  TrackLimit: 'TRACK_LIMIT',
  /** A publish arrived while this participant's previous publish was still being applied. */
  PublishInProgress: 'PUBLISH_IN_PROGRESS',
  /** This node has no media connections left (its port range or MAX_MEDIA_CONNECTIONS): try another time or node. */
  MediaCapacity: 'MEDIA_CAPACITY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the server uses; the client maps each to a human message. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  TooBig: 1009,
  /** The server failed on this connection (a bug, logged): reconnect and join again. */
  InternalError: 1011,
  /** The node has no media connections left for a join (MEDIA_CAPACITY): try again later. */
  TryAgainLater: 1013,
  AuthTimeout: 4001,
  TokenInvalid: 4002,
  TokenExpired: 4003,
  RoomMismatch: 4004,
  RoomFull: 4005,
  Misbehaving: 4008,
  Replaced: 4009,
  /** The node is shutting down: reconnect (any node will do). */
  Draining: 4011,
  /** The room moved to another node (its owner failed): reconnect and join again. */
  RoomMoved: 4012,
  /** Shared state (Redis) is unavailable: joins fail until it returns. */
  Degraded: 4013,
  /** The socket's send queue outgrew WS_MAX_BUFFERED_BYTES (the client does not read): reconnect, with back-off. */
  SlowConsumer: 4014,
  /** The participant's media kept breaking the media limits (data channel bytes, rate or streams). */
  MediaAbuse: 4015,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting with the same token cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Normal,
  CloseCode.TokenInvalid,
  CloseCode.TokenExpired,
  CloseCode.RoomMismatch,
  CloseCode.RoomFull,
  CloseCode.Replaced,
]);

// ---- server -> client ----

export type ServerMessage =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: { code: ErrorCode; message: string } }
  /** A protocol error for a frame whose id could not be read. */
  | { type: 'error'; error: { code: ErrorCode; message: string } }
  | { type: 'participant-joined'; participant: ParticipantInfo }
  | { type: 'participant-left'; participantId: string; reason: LeaveReason }
  | { type: 'participant-updated'; participant: ParticipantInfo }
  /** A new offer for the client's subscriber connection; answer with `answer`. */
  | { type: 'offer'; sdp: string; tracks: TrackMapping[] }
  /** The SFU's measurements of this participant's streams, every few seconds. */
  | { type: 'media-stats'; at: number; streams: ServerStreamStats[] }
  /** The room's impairment changed (null: off). */
  | { type: 'impairment'; settings: ImpairmentSettings | null }
  /** Someone in the room (the recipient included) sent a chat message. */
  | { type: 'chat'; message: ChatMessage };

export type LeaveReason = 'left' | 'disconnected' | 'timeout' | 'replaced';
export type ServerEventType = Exclude<ServerMessage['type'], 'response' | 'error'>;
