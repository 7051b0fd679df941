// Who speaks, from levels read four times a second: the threshold, the hold through the
// pauses between words, an active speaker that does not flicker, and people who leave.
import { describe, expect, it } from 'vitest';
import { SpeakerDetector } from '../../client/call/speakers.js';

const LOUD = 0.1;
const QUIET = 0.02;
const SILENT = 0.001;

function levels(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

describe('who speaks', () => {
  it('a participant speaks from the first loud reading, through a pause of a second, and stops 1.2 s after the last word', () => {
    const d = new SpeakerDetector();
    expect([...d.update(levels({ a: SILENT, b: SILENT }), 0).speaking]).toEqual([]);
    expect([...d.update(levels({ a: LOUD, b: SILENT }), 250).speaking]).toEqual(['a']);
    expect([...d.update(levels({ a: SILENT, b: SILENT }), 1250).speaking]).toEqual(['a']);
    expect([...d.update(levels({ a: SILENT, b: SILENT }), 1500).speaking]).toEqual([]);
  });

  it('a level below -40 dBFS (breathing, a fan) never counts', () => {
    const d = new SpeakerDetector();
    for (let t = 0; t < 3000; t += 250) expect(d.update(levels({ a: 0.009 }), t).speaking.size).toBe(0);
  });

  it('the active speaker stays while someone else talks a little louder, and moves to someone clearly louder', () => {
    const d = new SpeakerDetector();
    expect(d.update(levels({ a: QUIET, b: SILENT }), 0).active).toBe('a');
    expect(d.update(levels({ a: QUIET, b: QUIET * 1.3 }), 250).active).toBe('a');
    expect(d.update(levels({ a: QUIET, b: QUIET * 2 }), 500).active).toBe('b');
  });

  it('the active speaker stays through silence until someone else speaks, and goes when they leave', () => {
    const d = new SpeakerDetector();
    d.update(levels({ a: LOUD, b: SILENT }), 0);
    expect(d.update(levels({ a: SILENT, b: SILENT }), 5000)).toEqual({ speaking: new Set(), active: 'a' });
    expect(d.update(levels({ a: SILENT, b: QUIET }), 5250).active).toBe('b');
    expect(d.update(levels({ a: SILENT }), 5500)).toEqual({ speaking: new Set(), active: undefined });
  });

  it('someone who left and comes back starts from silence', () => {
    const d = new SpeakerDetector();
    d.update(levels({ a: LOUD }), 0);
    d.update(levels({}), 250);
    expect(d.update(levels({ a: SILENT }), 500).speaking.size).toBe(0);
  });
});
