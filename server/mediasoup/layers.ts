// Simulcast layer preference on mediasoup: a subscriber's tile size picks the smallest
// layer of the publisher's video that fills it (signaling/layers.ts), applied as the
// consumer's preferred spatial layer (every temporal layer of it). Bandwidth may still
// hold a consumer below its preference; mediasoup never sends above it.
import type { Consumer, Producer } from 'mediasoup/types';
import { chooseLayer, simulcastLayerSizes, type PictureSize } from '../../signaling/layers.js';
import type { VideoSizeResult } from '../../signaling/protocol.js';

/** Where a video Producer keeps its camera's capture size (as the publisher declared it in `publish`). */
const SOURCE_KEY = 'source';

export function setProducerSource(producer: Producer, source: PictureSize | undefined): void {
  producer.appData[SOURCE_KEY] = source;
}

/** The sizes of a Producer's simulcast layers, lowest first; empty without simulcast or a declared size. */
export function producerLayers(producer: Producer): PictureSize[] {
  const source = producer.appData[SOURCE_KEY] as PictureSize | undefined;
  const encodings = producer.rtpParameters.encodings?.length ?? 0;
  if (producer.kind !== 'video' || !source || encodings < 2) return [];
  return simulcastLayerSizes(source, encodings);
}

/** What a new Consumer of `producer` starts with: its layers (kept in its appData) and, for a tile already measured, the layer it calls for. */
export function consumerLayerOptions(producer: Producer, tile: PictureSize | undefined): { layers: PictureSize[]; preferredLayers?: { spatialLayer: number } } {
  const layers = producerLayers(producer);
  return tile && layers.length > 0 ? { layers, preferredLayers: { spatialLayer: chooseLayer(layers, tile) } } : { layers };
}

/** Prefers the layer `tile` calls for on `consumer` (when it is a simulcast one). Never throws. */
export function preferLayer(consumer: Consumer | undefined, tile: PictureSize): VideoSizeResult {
  const layers = (consumer?.appData.layers as PictureSize[] | undefined) ?? [];
  if (!consumer || consumer.closed || consumer.type !== 'simulcast' || layers.length === 0) return { layers, spatialLayer: null };
  const spatialLayer = chooseLayer(layers, tile);
  if (consumer.preferredLayers?.spatialLayer !== spatialLayer) consumer.setPreferredLayers({ spatialLayer }).catch(() => undefined);
  return { layers, spatialLayer };
}
