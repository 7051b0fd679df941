// The camera and microphone of this page: acquired once per call, kept across
// reconnects, muted by disabling the track (the connection keeps flowing, silent/black).
// A device can be swapped for another of its kind (replaceTrack) without a new stream.
import type { MediaKind } from '../../signaling/protocol.js';

const VIDEO_CONSTRAINTS: MediaTrackConstraints = { width: 640, height: 480 };

/**
 * Device ids to prefer per kind (remembered choices). Asked for exactly first: Chromium
 * weighs an `ideal` id below other fitness and may open another device. When one is gone
 * the attempt fails (OverconstrainedError) and the defaults are asked for instead.
 */
export type PreferredDevices = Partial<Record<MediaKind, string>>;

/** What to ask for, best first: both (the preferred ones, then any), then whichever one device works. */
function attempts(preferred: PreferredDevices): { constraints: MediaStreamConstraints; kinds: MediaKind[] }[] {
  const audio = true;
  const video = VIDEO_CONSTRAINTS;
  const exact = (id: string | undefined, base: MediaTrackConstraints): MediaTrackConstraints => (id ? { ...base, deviceId: { exact: id } } : base);
  const preferredBoth = preferred.audio || preferred.video ? [{ constraints: { audio: exact(preferred.audio, {}), video: exact(preferred.video, video) }, kinds: ['audio', 'video'] as MediaKind[] }] : [];
  return [
    ...preferredBoth,
    { constraints: { audio, video }, kinds: ['audio', 'video'] },
    { constraints: { audio }, kinds: ['audio'] },
    { constraints: { video }, kinds: ['video'] },
  ];
}

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
  static async acquire(getUserMedia: MediaGetter | undefined = defaultGetter(), preferred: PreferredDevices = {}): Promise<LocalMedia> {
    if (!getUserMedia) {
      return new LocalMedia(new MediaStream(), 'This page cannot use a camera or microphone here (it needs https). You joined receive-only.');
    }
    let firstError: unknown;
    for (const attempt of attempts(preferred)) {
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

  /** The id of the device behind `kind`'s track, if there is one. */
  deviceId(kind: MediaKind): string | undefined {
    return this.track(kind)?.getSettings().deviceId;
  }

  /**
   * Opens `deviceId` (exactly that one) for a track of `kind`, to swap in with replace().
   * Rejects when it cannot be opened (gone, busy, refused); nothing changes then.
   */
  static async open(kind: MediaKind, deviceId: string, getUserMedia: MediaGetter | undefined = defaultGetter()): Promise<MediaStreamTrack> {
    if (!getUserMedia) throw new Error('This page cannot use a camera or microphone here (it needs https).');
    const constraints: MediaTrackConstraints = { ...(kind === 'video' ? VIDEO_CONSTRAINTS : {}), deviceId: { exact: deviceId } };
    const stream = await getUserMedia(kind === 'video' ? { video: constraints } : { audio: constraints });
    const track = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    for (const other of stream.getTracks()) if (other !== track) other.stop();
    if (!track) throw new Error(`The browser opened no ${kind === 'video' ? 'camera' : 'microphone'}.`);
    return track;
  }

  /**
   * Puts `track` in place of the current track of its kind (which is stopped), keeping the
   * mute state. Only a kind this page already has can be swapped: adding one would need a
   * new offer. A stopped LocalMedia stops `track` instead.
   */
  replace(track: MediaStreamTrack): void {
    const kind = track.kind === 'video' ? 'video' : 'audio';
    const old = this.track(kind);
    if (this.stopped || !old) {
      track.stop();
      return;
    }
    track.enabled = !this.muted[kind];
    this.stream.removeTrack(old);
    this.stream.addTrack(track);
    old.stop();
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
