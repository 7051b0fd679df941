// The mediasoup engine behind signaling's MediaPlane boundary: a pool of worker processes
// (one per core), a Router per room on the least busy worker.
import type { Logger } from '../../signaling/log.js';
import type { MediaPlane, MediaRoomEvents } from '../../signaling/media.js';
import type { MediaLimits } from '../config.js';
import { ConnectionBudget } from '../sfu/connectionBudget.js';
import { DEFAULT_MEDIA_LIMITS } from '../sfu/mediaLimits.js';
import type { RtcOptions } from '../sfu/rtcConfig.js';
import type { SfuTotals, StreamQualityObserver } from '../sfu/totals.js';
import { faultReporter, type FaultReporter } from './faults.js';
import { MediasoupRoom } from './room.js';
import { WorkerPool } from './workers.js';

export interface MediasoupEngineOptions {
  rtc: RtcOptions;
  workerBin: string;
  workers: number;
  statsIntervalMs: number;
  totals: SfuTotals;
  observer: StreamQualityObserver | undefined;
  log: Logger;
  /** The media bounds; the documented defaults when absent. */
  limits?: MediaLimits;
}

export class MediasoupEngine implements MediaPlane {
  private readonly rooms = new Map<string, MediasoupRoom>();
  private readonly limits: MediaLimits;
  /** Transports are what a node runs out of on mediasoup (all of a worker's share one port): MAX_MEDIA_CONNECTIONS. */
  private readonly budget: ConnectionBudget;

  private constructor(
    private readonly pool: WorkerPool,
    private readonly options: MediasoupEngineOptions,
    private readonly fault: FaultReporter,
  ) {
    this.limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
    this.budget = new ConnectionBudget(this.limits.maxMediaConnections, options.totals.bounds.connections);
    // A crashed worker's rooms are lost: their people join again, on a live worker.
    pool.onWorkerDied((dead) => {
      for (const room of [...this.rooms.values()]) if (room.worker === dead) room.lose('media worker died');
    });
  }

  static async start(options: MediasoupEngineOptions): Promise<MediasoupEngine> {
    const fault = faultReporter(options.totals, options.log);
    const pool = await WorkerPool.start({ workers: options.workers, workerBin: options.workerBin, rtc: options.rtc, log: options.log, fault });
    return new MediasoupEngine(pool, options, fault);
  }

  openRoom(roomId: string, events: MediaRoomEvents): MediasoupRoom {
    const existing = this.rooms.get(roomId);
    if (existing) return existing;
    const { rtc, totals, statsIntervalMs, observer, log } = this.options;
    const room = new MediasoupRoom(roomId, this.pool.pick(), { rtc, totals, statsIntervalMs, observer, log, limits: this.limits, budget: this.budget, fault: this.fault }, events, (r) => {
      if (this.rooms.get(r.id) === r) this.rooms.delete(r.id);
    });
    this.rooms.set(roomId, room);
    return room;
  }

  /** Rooms on each worker, by worker index (for tests and /healthz). */
  roomsByWorker(): number[] {
    const out: number[] = [];
    for (const room of this.rooms.values()) out[room.workerIndex] = (out[room.workerIndex] ?? 0) + 1;
    return out;
  }

  get workers(): number {
    return this.pool.size;
  }

  stats(): { rooms: number; participants: number; peerConnections: number; forwarders: number; workers: number } {
    const total = { rooms: this.rooms.size, participants: 0, peerConnections: 0, forwarders: 0, workers: this.pool.size };
    for (const room of this.rooms.values()) {
      const s = room.stats();
      total.participants += s.participants;
      total.peerConnections += s.peerConnections;
      total.forwarders += s.forwarders;
    }
    return total;
  }

  close(): void {
    for (const room of [...this.rooms.values()]) room.close();
    this.pool.close();
  }
}
