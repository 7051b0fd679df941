// A microphone's level, live: the track's sound through Web Audio (an AnalyserNode) drawn
// as a bar, so a person can see that the right microphone hears them before and during
// the call. Browsers keep an audio context suspended until the person interacts with the
// page; the meter says so and starts at the first click or key press.
import { el } from './dom.js';

const SAMPLE_MS = 100;
/** Levels are shown in decibels from -60 dBFS (empty bar) to 0 dBFS (full): speech sits in the middle. */
const FLOOR_DB = -60;
/** How much of the last shown level remains per sample: the bar falls smoothly between syllables. */
const DECAY = 0.75;

let context: AudioContext | undefined;

/** One audio context per page (browsers limit them); undefined where Web Audio is missing. */
function audioContext(): AudioContext | undefined {
  if (context) return context;
  if (typeof AudioContext === 'undefined') return undefined;
  context = new AudioContext();
  if (context.state === 'suspended') {
    const resume = (): void => {
      void context?.resume().catch(() => undefined);
      document.removeEventListener('pointerdown', resume, true);
      document.removeEventListener('keydown', resume, true);
    };
    document.addEventListener('pointerdown', resume, true);
    document.addEventListener('keydown', resume, true);
  }
  return context;
}

/** A root-mean-square sample level (0..1) on the bar's scale (0..1). */
export function meterLevel(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

export class LevelMeter {
  readonly element: HTMLElement;
  private readonly bar = el('span', { class: 'level-bar' });
  private source: MediaStreamAudioSourceNode | undefined;
  private analyser: AnalyserNode | undefined;
  private samples: Float32Array<ArrayBuffer> | undefined;
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
    if (track && this.source?.mediaStream.getAudioTracks()[0] === track) return;
    this.detach();
    const ctx = track ? audioContext() : undefined;
    this.element.classList.toggle('none', !track);
    if (!track || !ctx) return;
    this.source = ctx.createMediaStreamSource(new MediaStream([track]));
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    // Analysed only, never played: the person must not hear themselves.
    this.source.connect(this.analyser);
    this.timer = setInterval(() => this.sample(ctx), SAMPLE_MS);
  }

  detach(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.source?.disconnect();
    this.source = undefined;
    this.analyser = undefined;
    this.render(0);
  }

  private sample(ctx: AudioContext): void {
    const { analyser, samples } = this;
    if (!analyser || !samples) return;
    this.element.title = ctx.state === 'suspended' ? 'The level shows after your first click or key press on this page.' : '';
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    this.render(Math.max(meterLevel(Math.sqrt(sum / samples.length)), this.shown * DECAY));
  }

  private render(level: number): void {
    this.shown = level;
    const percent = Math.round(level * 100);
    this.bar.style.width = `${percent}%`;
    this.element.setAttribute('aria-valuenow', String(percent));
    this.element.dataset.level = level.toFixed(2);
  }
}
