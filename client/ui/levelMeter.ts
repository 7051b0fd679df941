// A microphone's level, live: the track's sound (audioLevel.ts) drawn as a bar, so a
// person can see that the right microphone hears them before and during the call. Until
// the page's audio context runs (the first click or key press), the meter says so.
import { el } from './dom.js';
import { audioContext, meterLevel, TrackLevel } from '../call/audioLevel.js';

const SAMPLE_MS = 100;
/** How much of the last shown level remains per sample: the bar falls smoothly between syllables. */
const DECAY = 0.75;

export class LevelMeter {
  readonly element: HTMLElement;
  private readonly bar = el('span', { class: 'level-bar' });
  private level: TrackLevel | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = 0;

  constructor(testId: string) {
    this.element = el(
      'div',
      { class: 'level-meter', role: 'meter', 'aria-label': 'Microphone level', 'aria-valuemin': '0', 'aria-valuemax': '100', 'data-testid': testId },
      this.bar,
    );
    this.render(0);
  }

  /** Measures `track` (a microphone), or nothing (undefined: the bar stays empty). */
  attach(track: MediaStreamTrack | undefined): void {
    if (track && this.level?.track === track) return;
    this.detach();
    const ctx = track ? audioContext() : undefined;
    this.element.classList.toggle('none', !track);
    if (!track || !ctx) return;
    const level = new TrackLevel(track, ctx);
    this.level = level;
    this.timer = setInterval(() => this.sample(level), SAMPLE_MS);
  }

  detach(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.level?.close();
    this.level = undefined;
    this.render(0);
  }

  private sample(level: TrackLevel): void {
    this.element.title = level.running ? '' : 'The level shows after your first click or key press on this page.';
    this.render(Math.max(meterLevel(level.rms()), this.shown * DECAY));
  }

  private render(level: number): void {
    this.shown = level;
    const percent = Math.round(level * 100);
    this.bar.style.width = `${percent}%`;
    this.element.setAttribute('aria-valuenow', String(percent));
    this.element.dataset.level = level.toFixed(2);
  }
}
