// Which media engine serves this process, chosen once at start-up: mediasoup where its
// worker binary exists (or MEDIA_ENGINE=mediasoup demands it), werift otherwise. Both sit
// behind signaling's MediaPlane boundary; nothing else in the server asks which one runs.
import type { Logger } from '../signaling/log.js';
import type { MediaPlane } from '../signaling/media.js';
import type { Config } from './config.js';
import { MediasoupEngine } from './mediasoup/index.js';
import { findWorkerBinary } from './mediasoup/workers.js';
import { Sfu } from './sfu/index.js';
import type { SfuTotals, StreamQualityObserver } from './sfu/totals.js';

export type MediaEngineName = 'mediasoup' | 'werift';

export interface MediaEngine {
  name: MediaEngineName;
  plane: MediaPlane;
  /** Counts for /healthz: rooms, participants, peer connections (transports), forwarded tracks. */
  stats(): { rooms: number; participants: number; peerConnections: number; forwarders: number };
  close(): void;
}

export class MediaEngineError extends Error {
  override readonly name = 'MediaEngineError';
}

export const BUILD_HINT = '`sudo npm run build:mediasoup` builds it from the npm package (about 10 minutes on 2 cores)';

export async function startMediaEngine(config: Config, totals: SfuTotals, observer: StreamQualityObserver, log: Logger): Promise<MediaEngine> {
  const { engine, workerBin, workers } = config.media;
  if (engine !== 'werift') {
    const bin = findWorkerBinary(workerBin);
    if (bin.found) {
      try {
        const plane = await MediasoupEngine.start({ rtc: config.rtc, workerBin: bin.path, workers, statsIntervalMs: config.mediaStatsIntervalMs, totals, observer, log, limits: config.mediaLimits });
        log.info('media engine', { engine: 'mediasoup', workers, workerBin: bin.path });
        return { name: 'mediasoup', plane, stats: () => plane.stats(), close: () => plane.close() };
      } catch (err) {
        if (engine === 'mediasoup') throw new MediaEngineError(`MEDIA_ENGINE=mediasoup, but its worker did not start: ${err instanceof Error ? err.message : String(err)}`);
        log.warn('mediasoup worker did not start; serving media with werift', { workerBin: bin.path, error: err instanceof Error ? err.message : String(err) });
      }
    } else if (engine === 'mediasoup') {
      throw new MediaEngineError(`MEDIA_ENGINE=mediasoup, but there is no mediasoup worker at ${bin.path}: ${BUILD_HINT}`);
    } else {
      log.info(`no mediasoup worker at ${bin.path}; serving media with werift. ${BUILD_HINT}`);
    }
  }
  const sfu = new Sfu({ rtc: config.rtc, totals, observer, statsIntervalMs: config.mediaStatsIntervalMs, log, limits: config.mediaLimits });
  log.info('media engine', { engine: 'werift', mediaConnectionBudget: sfu.connectionBudget });
  return { name: 'werift', plane: sfu, stats: () => sfu.stats(), close: () => sfu.close() };
}
