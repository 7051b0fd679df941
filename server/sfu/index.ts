// The SFU: the media plane behind signaling's MediaPlane boundary. One SfuRoom per room
// with participants on this node.
import type { Logger } from '../../signaling/log.js';
import type { MediaPlane } from '../../signaling/media.js';
import type { MediaLimits } from '../config.js';
import { ConnectionBudget, weriftCapacity } from './connectionBudget.js';
import { guardDtlsClients } from './dtlsClientGuard.js';
import { guardIceRequests } from './iceGuard.js';
import { disableNagleOnIceTcp } from './iceTcpNoDelay.js';
import { DEFAULT_MEDIA_LIMITS } from './mediaLimits.js';
import type { RtcOptions } from './rtcConfig.js';
import { guardSctpReceivers } from './sctpGuard.js';
import { SfuRoom } from './sfuRoom.js';
import { newSfuTotals, type SfuTotals, type StreamQualityObserver } from './totals.js';

export interface SfuStats {
  rooms: number;
  participants: number;
  peerConnections: number;
  forwarders: number;
}

export interface SfuOptions {
  rtc: RtcOptions;
  /** How often participants get `media-stats` and histograms are observed. */
  statsIntervalMs?: number;
  observer?: StreamQualityObserver;
  /** Totals to count into (shared with metrics); a fresh set when absent. */
  totals?: SfuTotals;
  /** Where failures inside the SFU (a teardown step, a callback that threw) are logged. */
  log: Logger;
  /** The media bounds; the documented defaults when absent. */
  limits?: MediaLimits;
}

export class Sfu implements MediaPlane {
  private readonly rooms = new Map<string, SfuRoom>();
  readonly totals: SfuTotals;
  private readonly limits: MediaLimits;
  private readonly budget: ConnectionBudget;

  constructor(private readonly options: SfuOptions) {
    this.totals = options.totals ?? newSfuTotals();
    this.limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
    this.budget = new ConnectionBudget(weriftCapacity(options.rtc, this.limits.maxMediaConnections), this.totals.bounds.connections);
    guardDtlsClients();
    disableNagleOnIceTcp();
    guardSctpReceivers();
    guardIceRequests({ maxLearnedCandidates: this.limits.iceMaxLearnedCandidates, totals: this.totals.bounds.ice });
  }

  /** Media connections this node serves (see connectionBudget.ts). */
  get connectionBudget(): number {
    return this.budget.capacity;
  }

  openRoom(roomId: string): SfuRoom {
    const existing = this.rooms.get(roomId);
    if (existing) return existing;
    const room = new SfuRoom(
      roomId,
      {
        rtc: this.options.rtc,
        totals: this.totals,
        statsIntervalMs: this.options.statsIntervalMs ?? 2000,
        observer: this.options.observer,
        log: this.options.log,
        limits: this.limits,
        budget: this.budget,
      },
      (r) => {
        if (this.rooms.get(r.id) === r) this.rooms.delete(r.id);
      },
    );
    this.rooms.set(roomId, room);
    return room;
  }

  stats(): SfuStats {
    const total: SfuStats = { rooms: this.rooms.size, participants: 0, peerConnections: 0, forwarders: 0 };
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
  }
}
