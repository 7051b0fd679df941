// Running totals of what the SFU did, for metrics. Plain numbers bumped on the hot path;
// the metrics layer reads them when scraped.
import type { MediaKind } from '../../signaling/protocol.js';
import { newDataTotals, type DataTotals } from './dataBudget.js';
import { newIceTotals, type IceTotals } from './iceGuard.js';

export interface KindTotals {
  packetsIn: number;
  bytesIn: number;
  packetsForwarded: number;
  bytesForwarded: number;
  packetsDroppedImpairment: number;
}

export interface SfuTotals {
  byKind: Record<MediaKind, KindTotals>;
  /** NACK feedback messages received from subscribers. */
  nacksReceived: number;
  /** PLI/FIR keyframe requests received from subscribers. */
  keyframeRequestsReceived: number;
  /** PLIs the SFU sent to publishers (after rate limiting). */
  plisSent: number;
  /** Engine callbacks, timers and teardown steps that threw and were contained (each logged). */
  internalErrors: number;
  /** The media bounds (issue 12): data channel drops, ICE requests dropped, media connections. */
  bounds: BoundsTotals;
}

export interface BoundsTotals {
  data: DataTotals;
  ice: IceTotals;
  /** Media connections reserved by participants, and how many this node serves. */
  connections: { inUse: number; budget: number };
}

const zero = (): KindTotals => ({ packetsIn: 0, bytesIn: 0, packetsForwarded: 0, bytesForwarded: 0, packetsDroppedImpairment: 0 });

export function newSfuTotals(): SfuTotals {
  return { byKind: { audio: zero(), video: zero() }, nacksReceived: 0, keyframeRequestsReceived: 0, plisSent: 0, internalErrors: 0, bounds: newBoundsTotals() };
}

export function newBoundsTotals(): BoundsTotals {
  return { data: newDataTotals(), ice: newIceTotals(), connections: { inUse: 0, budget: 0 } };
}

/** Observes per-stream quality each stats interval (for histograms). */
export interface StreamQualityObserver {
  inboundStream(kind: MediaKind, jitterSeconds: number, lossRatio: number): void;
  outboundStream(kind: MediaKind, rttSeconds: number | null, lossRatio: number | null, jitterSeconds: number | null): void;
}
