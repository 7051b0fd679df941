// The page reports a tile's size debounced, and only when the layer the server would
// choose changes.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { TILE_REPORT_DEBOUNCE_MS, TileSizeReporter } from '../../client/call/tileSizes.js';
import type { PictureSize } from '../../signaling/layers.js';
import { chooseLayer } from '../../signaling/layers.js';

const LAYERS = [
  { width: 320, height: 240 },
  { width: 640, height: 480 },
];

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function reporter(): { sent: PictureSize[]; tiles: TileSizeReporter } {
  const sent: PictureSize[] = [];
  const tiles = new TileSizeReporter();
  tiles.connect(async (_id, tile) => {
    sent.push(tile);
    return { layers: LAYERS, spatialLayer: chooseLayer(LAYERS, tile) };
  });
  return { sent, tiles };
}

it('resizes within the debounce count as one report, of the last size', async () => {
  const { sent, tiles } = reporter();
  tiles.report('a', { width: 100, height: 56 });
  tiles.report('a', { width: 150, height: 84 });
  tiles.report('a', { width: 200, height: 113 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  expect(sent).toEqual([{ width: 200, height: 113 }]);
});

it('a resize that keeps the same layer is not reported; one that changes it is', async () => {
  const { sent, tiles } = reporter();
  tiles.report('a', { width: 200, height: 113 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  tiles.report('a', { width: 300, height: 169 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  expect(sent).toHaveLength(1);
  tiles.report('a', { width: 600, height: 338 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  expect(sent).toEqual([
    { width: 200, height: 113 },
    { width: 600, height: 338 },
  ]);
});

it('a new connection hears every known tile again; without a sender (no simulcast) nothing is sent', async () => {
  const { sent, tiles } = reporter();
  tiles.report('a', { width: 200, height: 113 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  const again: PictureSize[] = [];
  tiles.connect(async (_id, tile) => {
    again.push(tile);
    return { layers: LAYERS, spatialLayer: 0 };
  });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS);
  expect(again).toEqual([{ width: 200, height: 113 }]);
  tiles.connect(undefined);
  tiles.report('a', { width: 900, height: 506 });
  await vi.advanceTimersByTimeAsync(TILE_REPORT_DEBOUNCE_MS * 4);
  expect(sent).toHaveLength(1);
  expect(again).toHaveLength(1);
});
