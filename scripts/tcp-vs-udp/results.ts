// What one run of the TCP vs UDP experiment measured: the data the report is made from,
// also written as JSON beside it.
import type { ProbePath } from '../../client/call/stats/probes.js';

/** How the media (and the data channels) reach the SFU: direct UDP, direct TCP (ICE-TCP), or TURN over TCP. */
export type MediaTransport = 'udp' | 'tcp' | 'turn';

/** A network condition between the clients and the server (where it acts: ExperimentRun.impairmentNote). */
export interface ImpairmentProfile {
  /** Short identifier, e.g. `loss-5`. */
  id: string;
  /** For people, e.g. `5% loss, 50 ms delay`. */
  label: string;
  delayMs: number;
  jitterMs: number;
  /** Probability of dropping each packet, 0..1. */
  loss: number;
  /** A loss burst inside the measurement window on top of the rest. */
  burst?: { loss: number; afterMs: number; durationMs: number };
}

/** Round trips of the probes sent during the window on one path. */
export interface ProbeFigures {
  sent: number;
  /** Answered within the probe deadline (2 s). */
  delivered: number;
  /** delivered / sent; undefined when nothing was sent (path not available). */
  deliveryRatio?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** Delivered more than LATE_AFTER_MS after the window's median: held back by a retransmission. */
  late?: number;
}

/** One participant's received video from another, over the window (differences of Chromium's cumulative counters). */
export interface VideoFigures {
  fps?: number;
  freezeCount?: number;
  /** Total time frozen, seconds. */
  freezeSeconds?: number;
  /** Average time a frame waited in the jitter buffer, ms. */
  jitterBufferMs?: number;
  /** Packets lost as seen by the receiver, percent of expected. */
  lossPercent?: number;
  /** NACKs the receiver sent (retransmission requests). */
  nackCount?: number;
}

export interface Measurement {
  profileId: string;
  transport: MediaTransport;
  /** The selected candidate pair, e.g. `udp host→host` or `relay over tcp`. */
  path: string;
  probes: Record<ProbePath, ProbeFigures>;
  video: VideoFigures;
  /** Share of client→server packets the impaired link dropped during the window (netns mode): the loss actually applied. */
  linkLossPercent?: number;
}

export interface ExperimentRun {
  /** ISO time the run started. */
  startedAt: string;
  /** `netns`: two network namespaces and a shaped link; `reduced`: loopback with the SFU's own impairment (UDP only). */
  mode: 'netns' | 'reduced';
  /** e.g. `Linux 6.18, 2 cores, Node v20.20.2, Chromium 156` */
  machine: string;
  /** Seconds measured per profile and transport. */
  windowSeconds: number;
  profiles: ImpairmentProfile[];
  transports: MediaTransport[];
  measurements: Measurement[];
  /** Where the impairment acts, for people (e.g. `delay both ways, loss on client→server packets`). */
  impairmentNote?: string;
  /** What this run could not measure, and why (e.g. in reduced mode). */
  notMeasured: string[];
}
