// Who is speaking, from sampled audio levels: speech counts through its short pauses, the
// active speaker is the loudest lately and does not flicker between people talking over
// each other at similar levels.
import { describe, expect, it } from 'vitest';
import { HOLD_MS, SpeakerDetector } from '../../client/speakers.js';

const levels = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('the speaker detector', () => {
  it('nobody speaks in silence, and room noise is not speech', () => {
    const d = new SpeakerDetector();
    expect(d.update(levels({ a: 0, b: 0.01 }), 0)).toEqual({ speaking: new Set(), active: undefined });
  });

  it('a speaker stays speaking through a pause shorter than the hold, and stops after it', () => {
    const d = new SpeakerDetector();
    expect([...d.update(levels({ a: 0.3 }), 0).speaking]).toEqual(['a']);
    expect([...d.update(levels({ a: 0 }), HOLD_MS - 100).speaking]).toEqual(['a']);
    const after = d.update(levels({ a: 0 }), HOLD_MS + 100);
    expect([...after.speaking]).toEqual([]);
    // The last active speaker keeps the role (a speaker view keeps showing them).
    expect(after.active).toBe('a');
  });

  it('the active speaker moves to someone clearly louder, not to someone about as loud', () => {
    const d = new SpeakerDetector();
    d.update(levels({ a: 0.2 }), 0);
    expect(d.update(levels({ a: 0.2, b: 0.25 }), 300).active).toBe('a');
    let at = 300;
    let result = d.update(levels({ a: 0.05, b: 0.6 }), (at += 300));
    for (let i = 0; i < 3; i++) result = d.update(levels({ a: 0.05, b: 0.6 }), (at += 300));
    expect(result.active).toBe('b');
  });

  it('moves at once when the holder stops speaking, and forgets someone who left', () => {
    const d = new SpeakerDetector();
    d.update(levels({ a: 0.5 }), 0);
    expect(d.update(levels({ b: 0.1 }), HOLD_MS + 200).active).toBe('b');
    d.forget('b');
    expect(d.update(levels({}), HOLD_MS + 300).active).toBeUndefined();
  });
});
