// A window into the current call for end-to-end tests: window.__call. It reads, and
// opens the stats panel; nothing else. The tests declare its type on their side; the
// page only defines the property.
import type { Call, ParticipantStats, ProbeSummary, QualityReport } from '../call/call.js';
import type { ProbePath, ProbeSample } from '../call/stats/probes.js';
import { emptyPublishedStats, type PublishedStats } from '../call/publisher.js';

export interface CallDebugHook {
  state(): string;
  participantId(): string | undefined;
  remoteParticipants(): string[];
  stats(): Promise<ParticipantStats[]>;
  publisherStats(): Promise<PublishedStats>;
  /** The latest call-quality figures (uplink, each remote participant, the server's), once measured. */
  quality(): QualityReport | undefined;
  /** The message-latency probe's figures per path, while connected. */
  probes(): ProbeSummary | undefined;
  /** Every probe of the last minute per path, and `now` on the same clock (for figures over a window). */
  probeSamples(): { now: number; samples: Record<ProbePath, ProbeSample[]> } | undefined;
  /** The ids of the devices behind this page's microphone (audio) and camera (video). */
  localDevices(): { audio: string | undefined; video: string | undefined };
  openStats(): void;
}

export interface DebugHookSource {
  call(): Call | undefined;
  openStats(): void;
}

/** Installs window.__call, reading whichever call the page shows at the time. */
export function installDebugHook(page: DebugHookSource): void {
  const current = (): Call | undefined => page.call();
  const hook: CallDebugHook = Object.freeze({
    state: () => current()?.state ?? 'idle',
    participantId: () => current()?.participantId,
    remoteParticipants: () => current()?.participants().map((p) => p.info.id) ?? [],
    stats: async () => (await current()?.stats()) ?? [],
    publisherStats: async () => (await current()?.publisherStats()) ?? emptyPublishedStats(),
    quality: () => {
      const report = current()?.quality;
      return report && structuredClone(report);
    },
    probes: () => current()?.probes(),
    probeSamples: () => current()?.probeSamples(),
    localDevices: () => ({ audio: current()?.deviceId('audio'), video: current()?.deviceId('video') }),
    openStats: () => page.openStats(),
  });
  Object.defineProperty(window, '__call', { value: hook, writable: false, enumerable: false, configurable: false });
}
