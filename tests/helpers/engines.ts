// The two media engines the same scenarios run on (README, "Media engines"). A test that
// asks for mediasoup gets MEDIA_ENGINE=mediasoup, so a missing worker binary fails the
// server's start, loudly, instead of quietly testing werift twice.
import { SHAPES, type Shape } from './signalingServer.js';

export type Engine = 'werift' | 'mediasoup';
export const ENGINES: readonly Engine[] = ['werift', 'mediasoup'];

export function engineEnv(engine: Engine): Record<string, string> {
  return { MEDIA_ENGINE: engine };
}

/** Every deployment shape on every engine, for describe.each. */
export const SHAPES_AND_ENGINES: readonly (readonly [Shape, Engine])[] = SHAPES.flatMap((shape) => ENGINES.map((engine) => [shape, engine] as const));
