// One participant's tile: video (which also plays their audio), name label, muted
// markers, the connection quality badge, and an avatar when there is no picture to show.
import { el, icon } from './dom.js';
import { micOffIcon } from './icons.js';
import { QualityBadge } from './qualityBadge.js';
import type { LinkQuality } from '../call/stats/report.js';

export interface TileOptions {
  name: string;
  local: boolean;
  /** Set on remote tiles as data-participant-id. */
  participantId?: string;
  /** Called when the browser refused to play sound without a click; the video plays muted meanwhile. */
  onAutoplayBlocked?: () => void;
}

export class Tile {
  readonly element: HTMLDivElement;
  private readonly video: HTMLVideoElement;
  private readonly label: HTMLSpanElement;
  private readonly avatar: HTMLDivElement;
  private readonly micMarker: HTMLSpanElement;
  private readonly badge = new QualityBadge();
  private name: string;
  private quality: LinkQuality | undefined;
  private stream: MediaStream | undefined;
  private muted = { audio: false, video: false };
  /** The speaker chosen for this tile's sound; undefined: the system's default. */
  private sink: string | undefined;

  constructor(private readonly options: TileOptions) {
    this.name = options.name;
    this.video = el('video', { class: options.local ? 'mirrored' : undefined });
    this.video.autoplay = true;
    this.video.playsInline = true;
    // The local tile never plays this page's own microphone back.
    this.video.muted = options.local;
    this.video.addEventListener('playing', () => {
      this.applySink().catch((err: unknown) => console.warn('tile: could not use the chosen speaker', err));
    });
    this.avatar = el('div', { class: 'avatar' }, initials(options.name));
    this.micMarker = icon(micOffIcon, 'marker');
    // Read out as well as seen: "Microphone off" beside the name.
    this.micMarker.removeAttribute('aria-hidden');
    this.micMarker.setAttribute('role', 'img');
    this.micMarker.setAttribute('aria-label', 'Microphone off');
    this.micMarker.hidden = true;
    this.label = el('span', { class: 'name' }, options.local ? 'You' : options.name);
    this.element = el(
      'div',
      {
        class: options.local ? 'tile local' : 'tile',
        'data-testid': options.local ? 'local-tile' : 'tile',
        'data-participant-id': options.participantId,
      },
      this.video,
      this.avatar,
      this.badge.element,
      el('div', { class: 'caption' }, this.micMarker, this.label),
    );
    this.render();
  }

  setName(name: string): void {
    this.name = name;
    if (!this.options.local) this.label.textContent = name;
    this.avatar.textContent = initials(name);
    this.setQuality(this.quality);
  }

  /** A green ring while this participant speaks; `active` marks the room's active speaker. */
  setSpeaking(speaking: boolean, active: boolean): void {
    this.element.classList.toggle('speaking', speaking);
    this.element.dataset.speaking = String(speaking);
    this.element.dataset.activeSpeaker = String(active);
  }

  /** While the call's connection to the server is down, the badge says "Reconnecting". */
  setReconnecting(reconnecting: boolean): void {
    this.badge.setSignalingDown(reconnecting);
  }

  /** The local tile shows the uplink's quality, a remote tile what arrives from that participant. */
  setQuality(quality: LinkQuality | undefined): void {
    this.quality = quality;
    this.badge.update(quality, this.options.local ? 'from you to the server (uplink)' : `from ${this.name}`);
  }

  setMuted(muted: { audio: boolean; video: boolean }): void {
    this.muted = { ...muted };
    this.render();
  }

  /** Shows `stream` (again, after its tracks changed) and starts playback. */
  setStream(stream: MediaStream | undefined): void {
    if (this.video.srcObject !== (stream ?? null)) this.video.srcObject = stream ?? null;
    this.stream = stream;
    this.render();
    if (stream && stream.getTracks().length > 0) this.play();
  }

  /**
   * Plays this tile's sound on the speaker `deviceId` (remote tiles only; the local one is
   * silent). Chromium aborts a change made while a new stream is still loading, so the
   * choice is applied again once the video plays.
   */
  async setAudioOutput(deviceId: string): Promise<void> {
    if (this.options.local) return;
    this.sink = deviceId;
    await this.applySink();
  }

  private async applySink(): Promise<void> {
    if (this.sink && this.video.sinkId !== this.sink) await this.video.setSinkId(this.sink);
  }

  /** Turns the sound on after a click allowed it (remote tiles only). */
  enableAudio(): void {
    if (this.options.local) return;
    this.video.muted = false;
    void this.video.play().catch(() => undefined);
  }

  remove(): void {
    this.video.srcObject = null;
    this.element.remove();
  }

  private play(): void {
    this.video.play().catch((err: unknown) => {
      if (!(err instanceof DOMException) || err.name !== 'NotAllowedError' || this.options.local) return;
      // Browsers allow muted autoplay: show the picture now and ask for a click for the sound.
      this.video.muted = true;
      void this.video.play().catch(() => undefined);
      this.options.onAutoplayBlocked?.();
    });
  }

  private render(): void {
    const hasVideo = this.stream?.getVideoTracks().some((t) => t.readyState === 'live') ?? false;
    const showPicture = hasVideo && !this.muted.video;
    this.video.classList.toggle('hidden', !showPicture);
    this.avatar.hidden = showPicture;
    this.micMarker.hidden = !this.muted.audio;
    this.element.dataset.audioMuted = String(this.muted.audio);
    this.element.dataset.videoMuted = String(this.muted.video);
  }
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => [...(p ?? '')][0] ?? '').join('').toUpperCase() || '?';
}
