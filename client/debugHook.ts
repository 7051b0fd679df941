// A read-only window into the current call for end-to-end tests: window.__call. The
// tests declare its type on their side; the page only defines the property.
import type { Call, ParticipantStats } from './call.js';
import { emptyPublishedStats, type PublishedStats } from './publisher.js';

export interface CallDebugHook {
  state(): string;
  participantId(): string | undefined;
  remoteParticipants(): string[];
  stats(): Promise<ParticipantStats[]>;
  publisherStats(): Promise<PublishedStats>;
}

/** Installs window.__call, reading whichever call `current` returns at the time. */
export function installDebugHook(current: () => Call | undefined): void {
  const hook: CallDebugHook = Object.freeze({
    state: () => current()?.state ?? 'idle',
    participantId: () => current()?.participantId,
    remoteParticipants: () => current()?.participants().map((p) => p.info.id) ?? [],
    stats: async () => (await current()?.stats()) ?? [],
    publisherStats: async () => (await current()?.publisherStats()) ?? emptyPublishedStats(),
  });
  Object.defineProperty(window, '__call', { value: hook, writable: false, enumerable: false, configurable: false });
}
