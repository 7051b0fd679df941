// Synthetic media as RTP, shaped like a call's so the SFU forwards it as it would a
// browser's: Opus-like audio (one ~100 B packet every 20 ms) and VP8-like video (a frame
// split over a few ~1000 B packets, the marker bit on its last packet). Nothing is ever
// decoded, so the payload is filler behind a plausible first byte. The sender that gets
// these packets writes the negotiated payload type, its SSRC and header extensions.
import { RtpHeader, RtpPacket } from 'werift';
import type { MediaKind } from './rtpCounting.js';

export interface SyntheticStream {
  kind: MediaKind;
  packetsPerSecond: number;
  /** Packet i of the stream (i = 0, 1, 2, ...). */
  packet(index: number): RtpPacket;
}

const AUDIO_CLOCK_RATE = 48_000;
const VIDEO_CLOCK_RATE = 90_000;
const random16 = (): number => Math.floor(Math.random() * 0x10000);
const random32 = (): number => Math.floor(Math.random() * 0x1_0000_0000);

export interface AudioSpec {
  /** Default 50: 20 ms frames, Opus's usual packetisation. */
  packetsPerSecond?: number;
  /** Default 100 B, about 40 kbit/s. */
  payloadBytes?: number;
}

/** One audio frame per packet; the timestamp advances by the frame's duration. */
export function syntheticAudio(spec: AudioSpec = {}): SyntheticStream {
  const packetsPerSecond = spec.packetsPerSecond ?? 50;
  const payload = Buffer.alloc(spec.payloadBytes ?? 100, 0xab);
  // Opus TOC byte: config 15 (hybrid, fullband, 20 ms), mono, one frame.
  payload[0] = 15 << 3;
  const step = Math.round(AUDIO_CLOCK_RATE / packetsPerSecond);
  const firstSeq = random16();
  const firstTimestamp = random32();
  return {
    kind: 'audio',
    packetsPerSecond,
    packet: (i) =>
      new RtpPacket(new RtpHeader({ sequenceNumber: (firstSeq + i) & 0xffff, timestamp: (firstTimestamp + i * step) >>> 0, marker: false }), payload),
  };
}

export interface VideoSpec {
  /** Packets per second; default 100 (30 fps, 3 or 4 packets a frame). */
  packetsPerSecond?: number;
  /** Default 30. Packets per frame = round(packetsPerSecond / framesPerSecond), at least 1. */
  framesPerSecond?: number;
  /** Default 1000 B, under a typical 1200 B MTU budget. */
  payloadBytes?: number;
  /** Frames from one keyframe to the next; default 10 (a third of a second at 30 fps). */
  keyframeEveryFrames?: number;
}

/**
 * A frame is `packetsPerFrame` consecutive packets with one timestamp. Its first packet
 * starts with a VP8 payload descriptor with S=1 (start of partition 0), the others with
 * S=0; the last carries the marker bit. Every `keyframeEveryFrames`-th frame is marked a
 * keyframe (the inverse key frame bit P of the VP8 payload header clear, RFC 7741 4.3):
 * mediasoup reads it and forwards nothing to a new subscriber before one; werift does not look.
 */
export function syntheticVideo(spec: VideoSpec = {}): SyntheticStream {
  const packetsPerSecond = spec.packetsPerSecond ?? 100;
  const packetsPerFrame = Math.max(1, Math.round(packetsPerSecond / (spec.framesPerSecond ?? 30)));
  // The frame rate the packet rate actually gives, so timestamps keep pace with the clock.
  const step = Math.round((VIDEO_CLOCK_RATE * packetsPerFrame) / packetsPerSecond);
  // Two shared payloads are enough: a sender copies every packet it is given.
  const bytes = spec.payloadBytes ?? 1000;
  const firstPayload = Buffer.alloc(bytes, 0xab);
  firstPayload[0] = 0x10;
  const keyframePayload = Buffer.from(firstPayload);
  keyframePayload[1] = 0xaa;
  const keyframeEvery = Math.max(1, spec.keyframeEveryFrames ?? 10);
  const otherPayload = Buffer.alloc(bytes, 0xab);
  otherPayload[0] = 0x00;
  const firstSeq = random16();
  const firstTimestamp = random32();
  return {
    kind: 'video',
    packetsPerSecond,
    packet: (i) => {
      const inFrame = i % packetsPerFrame;
      const frame = (i - inFrame) / packetsPerFrame;
      const header = new RtpHeader({
        sequenceNumber: (firstSeq + i) & 0xffff,
        timestamp: (firstTimestamp + frame * step) >>> 0,
        marker: inFrame === packetsPerFrame - 1,
      });
      const payload = inFrame > 0 ? otherPayload : frame % keyframeEvery === 0 ? keyframePayload : firstPayload;
      return new RtpPacket(header, payload);
    },
  };
}
