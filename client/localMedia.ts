// The camera and microphone of this page: acquired once per call, kept across
// reconnects, muted by disabling the track (the connection keeps flowing, silent/black).
import type { MediaKind } from '../signaling/protocol.js';

const VIDEO_CONSTRAINTS: MediaTrackConstraints = { width: 640, height: 480 };

/** What to ask for, best first: both, then whichever one device works. */
const ATTEMPTS: { constraints: MediaStreamConstraints; kinds: MediaKind[] }[] = [
  { constraints: { audio: true, video: VIDEO_CONSTRAINTS }, kinds: ['audio', 'video'] },
  { constraints: { audio: true }, kinds: ['audio'] },
  { constraints: { video: VIDEO_CONSTRAINTS }, kinds: ['video'] },
];

export type MediaGetter = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

export class LocalMedia {
  private readonly muted = { audio: false, video: false };
  private stopped = false;

  private constructor(
    /** Holds this page's tracks; empty when no device could be opened. */
    readonly stream: MediaStream,
    /** Why some or all devices are missing, for the page to show; undefined when all worked. */
    readonly notice: string | undefined,
  ) {}

  /** Opens camera and microphone, falling back to one of them, then to none (receive-only). */
  static async acquire(getUserMedia: MediaGetter | undefined = defaultGetter()): Promise<LocalMedia> {
    if (!getUserMedia) {
      return new LocalMedia(new MediaStream(), 'This page cannot use a camera or microphone here (it needs https). You joined receive-only.');
    }
    let firstError: unknown;
    for (const attempt of ATTEMPTS) {
      try {
        const stream = await getUserMedia(attempt.constraints);
        return new LocalMedia(stream, attempt.kinds.length === 2 ? undefined : partialNotice(attempt.kinds));
      } catch (err) {
        firstError ??= err;
        // A refusal covers every device; asking again would only prompt the person again.
        if (isRefusal(err)) break;
      }
    }
    return new LocalMedia(new MediaStream(), noDeviceNotice(firstError));
  }

  track(kind: MediaKind): MediaStreamTrack | undefined {
    if (this.stopped) return undefined;
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  has(kind: MediaKind): boolean {
    return this.track(kind) !== undefined;
  }

  /** Tracks to publish, audio first, as the publisher's m-lines are ordered. */
  tracks(): MediaStreamTrack[] {
    return (['audio', 'video'] as const).map((k) => this.track(k)).filter((t) => t !== undefined);
  }

  isMuted(kind: MediaKind): boolean {
    return this.muted[kind];
  }

  mutedState(): { audio: boolean; video: boolean } {
    return { ...this.muted };
  }

  setMuted(kind: MediaKind, muted: boolean): void {
    this.muted[kind] = muted;
    const track = this.track(kind);
    if (track) track.enabled = !muted;
  }

  /** Releases the devices (the camera light goes off). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const track of this.stream.getTracks()) track.stop();
  }
}

function defaultGetter(): MediaGetter | undefined {
  const devices = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  return devices?.getUserMedia ? (c) => devices.getUserMedia(c) : undefined;
}

function partialNotice(kinds: MediaKind[]): string {
  return kinds[0] === 'audio'
    ? 'Camera unavailable: you joined with your microphone only.'
    : 'Microphone unavailable: you joined with your camera only.';
}

function isRefusal(err: unknown): boolean {
  return err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
}

function noDeviceNotice(err: unknown): string {
  if (isRefusal(err)) {
    return 'Camera and microphone access was blocked. You joined receive-only.';
  }
  return 'No camera or microphone available. You joined receive-only.';
}
