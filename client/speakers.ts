// Who is speaking, from audio levels sampled a few times a second (RTP's audio level,
// RFC 6464, as the browser reports it for each received stream and for the microphone).
// A voice is full of short pauses, so someone counts as speaking from the first loud
// sample until HOLD_MS after the last; the active speaker is the loudest of them lately,
// and keeps the role until someone else is louder, so the highlight does not flicker.

/** Levels (0..1, linear) above this are speech rather than room noise. */
export const SPEAKING_LEVEL = 0.03;
/** How long someone stays "speaking" after their last loud sample. */
export const HOLD_MS = 1200;

export interface Speakers {
  /** Everyone speaking now, by id. */
  speaking: ReadonlySet<string>;
  /** The active speaker: the one to highlight or show large; undefined before anyone spoke. */
  active: string | undefined;
}

export class SpeakerDetector {
  private readonly lastLoud = new Map<string, number>();
  /** A smoothed level per id (the mean of the recent loud samples' level). */
  private readonly loudness = new Map<string, number>();
  private active: string | undefined;

  /** Takes one round of levels (ids absent count as silent) and says who speaks. */
  update(levels: ReadonlyMap<string, number>, now: number): Speakers {
    for (const [id, level] of levels) {
      if (level < SPEAKING_LEVEL) continue;
      this.lastLoud.set(id, now);
      this.loudness.set(id, 0.7 * (this.loudness.get(id) ?? level) + 0.3 * level);
    }
    const speaking = new Set<string>();
    for (const [id, at] of this.lastLoud) {
      if (now - at <= HOLD_MS) speaking.add(id);
      else {
        this.lastLoud.delete(id);
        this.loudness.delete(id);
      }
    }
    let loudest: string | undefined;
    for (const id of speaking) if (loudest === undefined || (this.loudness.get(id) ?? 0) > (this.loudness.get(loudest) ?? 0)) loudest = id;
    // The role moves only to someone speaking, and only when the holder has stopped or is quieter.
    if (loudest !== undefined && (this.active === undefined || !speaking.has(this.active) || (this.loudness.get(loudest) ?? 0) > 1.5 * (this.loudness.get(this.active) ?? 0))) {
      this.active = loudest;
    }
    return { speaking, active: this.active };
  }

  /** Someone left: they can no longer be the active speaker. */
  forget(id: string): void {
    this.lastLoud.delete(id);
    this.loudness.delete(id);
    if (this.active === id) this.active = undefined;
  }
}
