// Which simulcast layer a subscriber's tile calls for. Shared by the server (which applies
// it) and the page (which reports a tile's size only when the answer would change).

/** A picture's size in pixels. */
export interface PictureSize {
  width: number;
  height: number;
}

/**
 * The sizes of a publisher's simulcast layers, lowest first, from the camera's size: each
 * layer halves the one above it (PROTOCOL.md: rids h, f or q, h, f, scaled down by 4, 2, 1).
 */
export function simulcastLayerSizes(source: PictureSize, layers: number): PictureSize[] {
  const out: PictureSize[] = [];
  for (let i = 0; i < layers; i++) {
    const scale = 2 ** (layers - 1 - i);
    out.push({ width: Math.round(source.width / scale), height: Math.round(source.height / scale) });
  }
  return out;
}

/**
 * The index of the smallest layer that fills a tile of `tile` device pixels without being
 * scaled up; the top layer when none does. The page draws video with object-fit: cover,
 * so a layer fills the tile when it is at least as wide and at least as high.
 */
export function chooseLayer(layers: readonly PictureSize[], tile: PictureSize): number {
  const index = layers.findIndex((l) => l.width >= tile.width && l.height >= tile.height);
  return index >= 0 ? index : Math.max(0, layers.length - 1);
}
