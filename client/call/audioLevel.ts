// How loud an audio track is, through Web Audio (an AnalyserNode): for the microphone
// meter and for telling who speaks. Browsers keep an audio context suspended until the
// person interacts with the page; it starts at the first click or key press.

/** Levels are shown in decibels from -60 dBFS (empty bar) to 0 dBFS (full): speech sits in the middle. */
const FLOOR_DB = -60;

let context: AudioContext | undefined;

/** One audio context per page (browsers limit them); undefined where Web Audio is missing. */
export function audioContext(): AudioContext | undefined {
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

/** Samples the meter's bar is drawn from: the last ~21 ms at 48 kHz. */
const METER_SAMPLES = 1024;
/** How far back loudest() looks: 16,384 samples, ~340 ms at 48 kHz, longer than the speakers' reading interval. */
const HISTORY_SAMPLES = 16_384;
/** Block of loudest(): 20 ms at 48 kHz, about one syllable's attack. */
const BLOCK_SAMPLES = 960;

/** How loud one audio track is, read on demand from an AnalyserNode. */
export class TrackLevel {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly samples: Float32Array<ArrayBuffer>;

  constructor(
    readonly track: MediaStreamTrack,
    private readonly ctx: AudioContext,
  ) {
    this.source = ctx.createMediaStreamSource(new MediaStream([track]));
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = HISTORY_SAMPLES;
    this.samples = new Float32Array(this.analyser.fftSize);
    // Analysed only, never played: nobody hears a track twice, or themselves.
    this.source.connect(this.analyser);
  }

  /** False while the browser holds sound back (no click yet): the level then reads 0. */
  get running(): boolean {
    return this.ctx.state === 'running';
  }

  /** The root-mean-square of the last ~21 ms (0: silence, 1: full scale): the meter's bar. */
  rms(): number {
    this.analyser.getFloatTimeDomainData(this.samples);
    return blockRms(this.samples, this.samples.length - METER_SAMPLES, this.samples.length);
  }

  /**
   * The loudest 20 ms of the last ~340 ms: a word (or a beep) between two readings is
   * never missed, as it would be by a reading of the last moment only.
   */
  loudest(): number {
    this.analyser.getFloatTimeDomainData(this.samples);
    let max = 0;
    for (let start = 0; start + BLOCK_SAMPLES <= this.samples.length; start += BLOCK_SAMPLES) max = Math.max(max, blockRms(this.samples, start, start + BLOCK_SAMPLES));
    return max;
  }

  close(): void {
    this.source.disconnect();
  }
}

function blockRms(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / (to - from));
}

