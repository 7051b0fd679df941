// The grid of tiles: the local one first, then one per remote participant, in as many
// columns as makes the 16:9 tiles largest for the space there is (rows wrap, centred).
import type { PictureSize } from '../../signaling/layers.js';
import type { ParticipantInfo } from '../../signaling/protocol.js';
import { el } from './dom.js';
import type { QualityReport } from '../call/stats/report.js';
import { Tile } from './tile.js';

const GAP_PX = 12;
const ASPECT = 16 / 9;
/** In the speaker view, the others' tiles in the strip: at most this wide. */
const STRIP_TILE_PX = 220;

/** The width of each of `count` 16:9 tiles that fills `width` x `height` best. */
export function bestTileWidth(count: number, width: number, height: number, gap = GAP_PX): number {
  let best = 0;
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - gap * (cols - 1)) / cols;
    const byHeight = ((height - gap * (rows - 1)) / rows) * ASPECT;
    best = Math.max(best, Math.min(byWidth, byHeight));
  }
  return Math.floor(best);
}

export class VideoGrid {
  readonly element: HTMLDivElement;
  private local: Tile | undefined;
  private readonly remotes = new Map<string, Tile>();
  private reconnecting = false;
  /** Speaker view: the active speaker large, everyone else in a strip below. */
  private speakerView = false;
  /** The active speaker as last told, and the remote tile shown large in the speaker view. */
  private active: string | undefined;
  private featured: string | undefined;
  /** The speaker chosen for the call's sound; undefined: the system's default. */
  private speaker: string | undefined;
  /** Watches each remote tile's drawn size, for the simulcast layer it calls for. */
  private readonly tileSizes: ResizeObserver;

  /** `onTileSize`: a remote tile is now drawn at this many device pixels. */
  constructor(
    private readonly onAutoplayBlocked: () => void,
    onTileSize: (participantId: string, size: PictureSize) => void = () => undefined,
  ) {
    this.element = el('div', { class: 'grid', 'aria-label': 'Participants' });
    new ResizeObserver(() => this.layout()).observe(this.element);
    this.tileSizes = new ResizeObserver((entries) => {
      const ratio = window.devicePixelRatio || 1;
      for (const entry of entries) {
        const id = (entry.target as HTMLElement).dataset.participantId;
        if (!id || !this.remotes.has(id)) continue;
        const { width, height } = entry.contentRect;
        onTileSize(id, { width: Math.round(width * ratio), height: Math.round(height * ratio) });
      }
    });
  }

  get size(): number {
    return this.remotes.size + (this.local ? 1 : 0);
  }

  setLocal(name: string, stream: MediaStream | undefined, muted: { audio: boolean; video: boolean }): void {
    if (!this.local) {
      this.local = new Tile({ name, local: true });
      this.local.setReconnecting(this.reconnecting);
      this.element.prepend(this.local.element);
      this.layout();
    }
    this.local.setName(name);
    this.local.setMuted(muted);
    this.local.setStream(stream);
  }

  /** This page's participant has a new name (its tile's initials). */
  renameLocal(name: string): void {
    this.local?.setName(name);
  }

  addRemote(participant: ParticipantInfo, stream: MediaStream): void {
    if (this.remotes.has(participant.id)) return this.updateRemote(participant);
    const tile = new Tile({ name: participant.name, local: false, participantId: participant.id, onAutoplayBlocked: this.onAutoplayBlocked });
    this.remotes.set(participant.id, tile);
    tile.setReconnecting(this.reconnecting);
    this.element.append(tile.element);
    this.tileSizes.observe(tile.element);
    tile.setMuted(markers(participant));
    tile.setStream(stream);
    // A refusal now is tried again when the video plays (Tile.setAudioOutput).
    if (this.speaker) tile.setAudioOutput(this.speaker).catch(() => undefined);
    this.refreshFeatured();
    this.layout();
  }

  updateRemote(participant: ParticipantInfo): void {
    const tile = this.remotes.get(participant.id);
    if (!tile) return;
    tile.setName(participant.name);
    tile.setMuted(markers(participant));
  }

  remoteMediaChanged(participantId: string, stream: MediaStream): void {
    this.remotes.get(participantId)?.setStream(stream);
  }

  removeRemote(participantId: string): void {
    const tile = this.remotes.get(participantId);
    if (!tile) return;
    this.tileSizes.unobserve(tile.element);
    tile.remove();
    this.remotes.delete(participantId);
    this.refreshFeatured();
    this.layout();
  }

  /** Puts each link's verdict on its tile: the uplink on the local one. */
  setQuality(report: QualityReport): void {
    this.local?.setQuality(report.uplink);
    for (const [id, tile] of this.remotes) tile.setQuality(report.remotes.find((r) => r.participantId === id));
  }

  /** Every badge says "Reconnecting" while the call's connection to the server is down. */
  setReconnecting(reconnecting: boolean): void {
    this.reconnecting = reconnecting;
    this.local?.setReconnecting(reconnecting);
    for (const tile of this.remotes.values()) tile.setReconnecting(reconnecting);
  }

  /** Rings the tiles of who speaks (`local` for this page's own). */
  setSpeakers(speaking: ReadonlySet<string>, active: string | undefined, local: string): void {
    this.local?.setSpeaking(speaking.has(local), active === local);
    for (const [id, tile] of this.remotes) tile.setSpeaking(speaking.has(id), active === id);
    this.active = active;
    this.refreshFeatured();
  }

  /** Shows the active speaker large (true) or everyone alike (false). */
  setSpeakerView(on: boolean): void {
    this.speakerView = on;
    this.element.classList.toggle('speaker-view', on);
    this.refreshFeatured();
  }

  /**
   * The speaker view's large tile: the active speaker when that is someone else (you never
   * see yourself large), else whoever was large before, else the first of the others.
   */
  private refreshFeatured(): void {
    const keep = (id: string | undefined): id is string => id !== undefined && this.remotes.has(id);
    const featured = !this.speakerView ? undefined : keep(this.active) ? this.active : keep(this.featured) ? this.featured : this.remotes.keys().next().value;
    if (featured === this.featured && (featured === undefined || this.remotes.get(featured)?.element.classList.contains('featured'))) return;
    this.featured = featured;
    for (const [id, tile] of this.remotes) tile.element.classList.toggle('featured', id === featured);
    this.layout();
  }

  get audioOutput(): string | undefined {
    return this.speaker;
  }

  /** Plays every remote tile's sound, and later ones', on the speaker `deviceId`. Rejects when the browser refuses it. */
  async setAudioOutput(deviceId: string): Promise<void> {
    await Promise.all([...this.remotes.values()].map((tile) => tile.setAudioOutput(deviceId)));
    this.speaker = deviceId;
  }

  enableAudio(): void {
    for (const tile of this.remotes.values()) tile.enableAudio();
  }

  clear(): void {
    this.reconnecting = false;
    this.featured = undefined;
    this.active = undefined;
    this.local?.remove();
    this.local = undefined;
    for (const tile of this.remotes.values()) {
      this.tileSizes.unobserve(tile.element);
      tile.remove();
    }
    this.remotes.clear();
    this.layout();
  }

  private layout(): void {
    const { clientWidth, clientHeight } = this.element;
    if (clientWidth === 0 || clientHeight === 0) return;
    if (this.featured !== undefined) {
      // One large tile on its own row, the others in the row below it.
      const strip = Math.min(STRIP_TILE_PX, bestTileWidth(this.size - 1, clientWidth, clientHeight * 0.25));
      const featured = Math.floor(Math.min(clientWidth, (clientHeight - strip / ASPECT - GAP_PX) * ASPECT));
      this.element.style.setProperty('--tile-width', `${strip}px`);
      this.element.style.setProperty('--featured-width', `${Math.max(strip, featured)}px`);
      return;
    }
    const width = bestTileWidth(this.size, clientWidth, clientHeight);
    this.element.style.setProperty('--tile-width', `${width}px`);
  }
}

/** What a tile marks as off: muted, or not sent at all (a participant without a microphone). */
function markers(participant: ParticipantInfo): { audio: boolean; video: boolean } {
  return {
    audio: participant.muted.audio || !participant.publishing.includes('audio'),
    video: participant.muted.video || !participant.publishing.includes('video'),
  };
}
