// Which simulcast layer a tile calls for: the smallest that fills it, the top one otherwise.
import { describe, expect, it } from 'vitest';
import { chooseLayer, simulcastLayerSizes } from '../../signaling/layers.js';
import { parseClientMessage } from '../../signaling/schema.js';

describe('simulcast layer sizes', () => {
  it("a 640x480 camera's two layers are 320x240 and 640x480", () => {
    expect(simulcastLayerSizes({ width: 640, height: 480 }, 2)).toEqual([
      { width: 320, height: 240 },
      { width: 640, height: 480 },
    ]);
  });

  it("a 1280x720 camera's three layers are 320x180, 640x360 and 1280x720", () => {
    expect(simulcastLayerSizes({ width: 1280, height: 720 }, 3).map((l) => l.height)).toEqual([180, 360, 720]);
  });
});

describe('the layer a tile calls for', () => {
  const layers = simulcastLayerSizes({ width: 640, height: 480 }, 2);

  it('a small tile gets the low layer', () => {
    expect(chooseLayer(layers, { width: 200, height: 113 })).toBe(0);
  });

  it('a tile exactly the low layer still gets it', () => {
    expect(chooseLayer(layers, { width: 320, height: 240 })).toBe(0);
  });

  it('a tile wider than the low layer gets the full one (object-fit: cover fills the width)', () => {
    expect(chooseLayer(layers, { width: 400, height: 225 })).toBe(1);
  });

  it('a tile larger than every layer gets the top one', () => {
    expect(chooseLayer(layers, { width: 1920, height: 1080 })).toBe(1);
  });

  it('a hidden (0x0) tile gets the lowest', () => {
    expect(chooseLayer(layers, { width: 0, height: 0 })).toBe(0);
  });

  it('with no layers known the answer is 0', () => {
    expect(chooseLayer([], { width: 100, height: 100 })).toBe(0);
  });
});

describe('the video-size message', () => {
  it('is accepted with a participant and a size in device pixels', () => {
    const parsed = parseClientMessage(JSON.stringify({ type: 'video-size', id: 1, participantId: 'p', width: 640, height: 360 }));
    expect(parsed.ok).toBe(true);
  });

  it.each([
    { participantId: 'p', width: -1, height: 10 },
    { participantId: 'p', width: 10.5, height: 10 },
    { participantId: 'p', width: 100_000, height: 10 },
    { participantId: '', width: 10, height: 10 },
    { participantId: 'p', width: 10, height: 10, extra: true },
  ])('is refused as BAD_MESSAGE: %o', (fields) => {
    const parsed = parseClientMessage(JSON.stringify({ type: 'video-size', id: 1, ...fields }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe('BAD_MESSAGE');
  });

  it("publish may carry the camera's capture size", () => {
    expect(parseClientMessage(JSON.stringify({ type: 'publish', id: 1, sdp: 'v=0', video: { width: 640, height: 480 } })).ok).toBe(true);
  });
});
