// Peer death from beats on the bus: fast when a peer stops, never when the bus itself or
// our own event loop stops.
import { describe, expect, it } from 'vitest';
import { Liveness } from '../../signaling/cluster/liveness.js';

const BEAT = 250;
const DEAD = 1000;

/** Both nodes beat every 250 ms from `from` to `to` (inclusive), as the bus delivers them. */
function beats(live: Liveness, nodes: string[], from: number, to: number): void {
  for (let t = from; t <= to; t += BEAT) for (const n of nodes) live.heard(n, t);
}

describe('Liveness', () => {
  it('a peer whose beats stop is dead after deadAfterMs, while ours go on', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a', 'b'], 0, 2000);
    expect(live.isDead('b', 2000)).toBe(false);
    // b is killed after its beat at 2000; ours keep arriving.
    beats(live, ['a'], 2250, 2750);
    expect(live.isDead('b', 2750)).toBe(false);
    beats(live, ['a'], 3000, 3000);
    expect(live.isDead('b', 3000)).toBe(true);
    expect(live.dead(3000)).toEqual(['b']);
  });

  it('a beat from the peer brings it back', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a', 'b'], 0, 1000);
    beats(live, ['a'], 1250, 2500);
    expect(live.isDead('b', 2500)).toBe(true);
    live.heard('b', 2600);
    expect(live.isDead('b', 2600)).toBe(false);
  });

  it('a bus outage (our own beats stop too) kills nobody, during it or just after it', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a', 'b'], 0, 1000);
    // Nothing arrives for 5 s.
    expect(live.isDead('b', 6000)).toBe(false);
    // Our beats come back first; b's a moment later. b never counts as silent across the outage.
    beats(live, ['a'], 6000, 6000);
    expect(live.isDead('b', 6000)).toBe(false);
    beats(live, ['a'], 6250, 6750);
    expect(live.isDead('b', 6750)).toBe(false);
    live.heard('b', 6800);
    beats(live, ['a', 'b'], 7000, 8000);
    expect(live.isDead('b', 8000)).toBe(false);
  });

  it('a peer that died during a bus outage is left to the registry (not judged by beats)', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a', 'b'], 0, 1000);
    beats(live, ['a'], 6000, 9000);
    expect(live.isDead('b', 9000)).toBe(false);
  });

  it('a pause of our own event loop (our beats stop) kills nobody', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a', 'b'], 0, 1000);
    // 3 s paused: no beat of ours was even sent; on waking the timer fires first.
    expect(live.isDead('b', 4000)).toBe(false);
    live.heard('a', 4000);
    expect(live.isDead('b', 4000)).toBe(false);
  });

  it('a peer never heard, and ourselves, are never judged dead here', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD });
    beats(live, ['a'], 0, 5000);
    expect(live.isDead('unknown', 5000)).toBe(false);
    expect(live.isDead('a', 99_000)).toBe(false);
  });

  it('remembers at most maxPeers peers, dropping the stalest', () => {
    const live = new Liveness('a', { beatIntervalMs: BEAT, deadAfterMs: DEAD, maxPeers: 2 });
    live.heard('a', 0);
    live.heard('p1', 0);
    live.heard('p2', 10);
    live.heard('p1', 20);
    live.heard('p3', 30);
    beats(live, ['a'], 250, 2000);
    expect(live.dead(2000).sort()).toEqual(['p1', 'p3']);
  });

  it('refuses a dead-after shorter than a few beats', () => {
    expect(() => new Liveness('a', { beatIntervalMs: 500, deadAfterMs: 1000 })).toThrow(RangeError);
  });
});
