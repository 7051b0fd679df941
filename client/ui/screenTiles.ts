// Screen shares on the stage: one large tile per share (the whole picture, letterboxed:
// text must stay readable), above the camera grid, which shrinks to a strip meanwhile.
// The page's own share is shown too, so the presenter sees what the others see.
import { el } from './dom.js';

export class ScreenTiles {
  readonly element = el('div', { class: 'screens', 'aria-label': 'Screen shares' });
  private readonly tiles = new Map<string, { element: HTMLElement; video: HTMLVideoElement }>();

  /** `onChange` hears whether any share is on the stage (the stage changes its layout). */
  constructor(private readonly onChange: (presenting: boolean) => void) {
    this.element.hidden = true;
  }

  /** Shows `stream` as `key`'s share, labelled; undefined takes it away. */
  set(key: string, label: string, stream: MediaStream | undefined, participantId?: string): void {
    const existing = this.tiles.get(key);
    if (!stream) {
      if (!existing) return;
      existing.video.srcObject = null;
      existing.element.remove();
      this.tiles.delete(key);
    } else if (existing) {
      existing.video.srcObject = stream;
    } else {
      const video = el('video', {});
      video.autoplay = true;
      video.playsInline = true;
      // A share carries no sound here; muted also lets it autoplay without a click.
      video.muted = true;
      video.srcObject = stream;
      // Until the first frame is drawn (about a second) the tile says so instead of staying black.
      const waiting = el('p', { class: 'screen-waiting', 'data-testid': 'screen-waiting' }, 'Starting the screen share…');
      video.addEventListener('loadeddata', () => {
        waiting.hidden = true;
      });
      video.addEventListener('emptied', () => {
        waiting.hidden = false;
      });
      const element = el(
        'div',
        { class: 'screen-tile', 'data-testid': 'screen-tile', 'data-participant-id': participantId },
        video,
        waiting,
        el('div', { class: 'caption' }, el('span', { class: 'name' }, label)),
      );
      this.tiles.set(key, { element, video });
      this.element.append(element);
      void video.play().catch(() => undefined);
    }
    this.element.hidden = this.tiles.size === 0;
    this.onChange(this.tiles.size > 0);
  }

  /** A share's label (its presenter renamed). */
  relabel(key: string, label: string): void {
    const name = this.tiles.get(key)?.element.querySelector('.name');
    if (name) name.textContent = label;
  }

  clear(): void {
    for (const key of [...this.tiles.keys()]) this.set(key, '', undefined);
  }
}
