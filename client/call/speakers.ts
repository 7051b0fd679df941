// Who is speaking, from audio levels read a few times a second: a participant speaks
// while their level passes a threshold, and goes on speaking through the pauses between
// words (a hold). The active speaker (the one a speaker view would show large) changes
// only to someone clearly louder, or when the current one has stopped, so that it does
// not flicker between two people talking at once.

export interface SpeakerOptions {
  /** Root-mean-square level that counts as speech: -40 dBFS. */
  threshold: number;
  /** How long a participant still counts as speaking after their level fell below the threshold. */
  holdMs: number;
  /** How much louder someone must be to take the active speaker's place while that one still speaks. */
  takeOverRatio: number;
}

export const DEFAULT_SPEAKER_OPTIONS: SpeakerOptions = { threshold: 0.01, holdMs: 1200, takeOverRatio: 1.5 };

export interface Speakers {
  speaking: ReadonlySet<string>;
  active: string | undefined;
}

export class SpeakerDetector {
  /** When each participant last passed the threshold. */
  private readonly lastHeard = new Map<string, number>();
  private active: string | undefined;

  constructor(private readonly options: SpeakerOptions = DEFAULT_SPEAKER_OPTIONS) {}

  /**
   * Takes one reading per participant present (0 for a muted one) and says who speaks now.
   * Participants missing from `levels` have left and are forgotten.
   */
  update(levels: ReadonlyMap<string, number>, now: number): Speakers {
    for (const id of this.lastHeard.keys()) if (!levels.has(id)) this.lastHeard.delete(id);
    for (const [id, level] of levels) if (level >= this.options.threshold) this.lastHeard.set(id, now);
    const speaking = new Set([...this.lastHeard].filter(([, at]) => now - at <= this.options.holdMs).map(([id]) => id));

    const loudest = [...levels].filter(([id]) => speaking.has(id)).sort((a, b) => b[1] - a[1])[0];
    if (!this.active || !speaking.has(this.active)) {
      // The last one heard stays active through silence, until someone else speaks.
      if (loudest || (this.active && !levels.has(this.active))) this.active = loudest?.[0];
    } else if (loudest && loudest[0] !== this.active && loudest[1] >= (levels.get(this.active) ?? 0) * this.options.takeOverRatio && loudest[1] >= this.options.threshold) {
      this.active = loudest[0];
    }
    return { speaking, active: this.active };
  }
}
