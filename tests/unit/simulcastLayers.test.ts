import { describe, expect, it } from 'vitest';
import { simulcastLayers } from '../../client/call/publisher.js';

describe('simulcast layers the page asks Chromium for', () => {
  it('are half and full resolution from a 480p camera, since Chromium sends two streams below 540p', () => {
    const layers = simulcastLayers(480);
    expect(layers.map((l) => [l.rid, l.scaleResolutionDownBy])).toEqual([['h', 2], ['f', 1]]);
  });

  it('are quarter, half and full from 720p up, lowest first', () => {
    expect(simulcastLayers(720).map((l) => l.rid)).toEqual(['q', 'h', 'f']);
  });

  it('each carry three temporal layers so the SFU can thin frame rate before resolution', () => {
    for (const l of [...simulcastLayers(480), ...simulcastLayers(1080)]) expect(l.scalabilityMode).toBe('L1T3');
  });

  it('fall back to two layers when the camera does not say its height', () => {
    expect(simulcastLayers(undefined)).toHaveLength(2);
  });

  it('are fresh objects each time, so one publish cannot change the next', () => {
    const first = simulcastLayers(480);
    first[0]!.maxBitrate = 1;
    expect(simulcastLayers(480)[0]!.maxBitrate).toBe(500_000);
  });
});
