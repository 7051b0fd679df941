// Metrics of the media bounds (issue 12; README "Limits"): refusals by code, media
// connections in use against the node's budget, data channel drops and the participants
// closed for them, and STUN requests the ICE guard dropped. Labels are closed sets.
import client from 'prom-client';
import { ErrorCode } from '../signaling/protocol.js';
import type { DataDropReason } from './sfu/dataBudget.js';
import type { IceDropReason } from './sfu/iceGuard.js';
import type { BoundsTotals } from './sfu/totals.js';

/** The error codes a media bound answers with, the `reason` of rtc_media_refusals_total. */
export const MEDIA_REFUSAL_CODES: ReadonlySet<string> = new Set([ErrorCode.TrackLimit, ErrorCode.PublishInProgress, ErrorCode.MediaCapacity, ErrorCode.BadSdp]);

const DATA_REASONS: DataDropReason[] = ['size', 'rate', 'stream'];
const ICE_REASONS: IceDropReason[] = ['integrity', 'learned'];

export class BoundsMetrics {
  private readonly refusals: client.Counter<'reason'>;

  constructor(registers: client.Registry[], bounds: BoundsTotals) {
    this.refusals = new client.Counter({
      name: 'rtc_media_refusals_total',
      help: 'Requests refused by a media bound, by error code (TRACK_LIMIT, PUBLISH_IN_PROGRESS, MEDIA_CAPACITY, BAD_SDP).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of MEDIA_REFUSAL_CODES) this.refusals.inc({ reason }, 0);
    new client.Gauge({
      name: 'rtc_media_connections',
      help: 'Media connections (peer connections or transports) reserved by participants on this node.',
      registers,
      collect() {
        this.set(bounds.connections.inUse);
      },
    });
    new client.Gauge({
      name: 'rtc_media_connections_budget',
      help: 'Media connections this node serves (MAX_MEDIA_CONNECTIONS; with werift also its RTC port range).',
      registers,
      collect() {
        this.set(bounds.connections.budget);
      },
    });
    catchUp(registers, 'rtc_data_dropped_total', 'Data channel chunks dropped by the data bounds, by reason (size, rate, stream).', DATA_REASONS, (r) => bounds.data.dropped[r]);
    plain(registers, 'rtc_data_dropped_bytes_total', 'Data channel bytes dropped by the data bounds.', () => bounds.data.droppedBytes);
    plain(registers, 'rtc_media_abuse_closed_total', 'Participants closed (4015) for breaking the data bounds again and again.', () => bounds.data.abusers);
    catchUp(
      registers,
      'rtc_ice_requests_dropped_total',
      'STUN requests the werift ICE guard dropped: bad USERNAME or MESSAGE-INTEGRITY, or past ICE_MAX_LEARNED_CANDIDATES.',
      ICE_REASONS,
      (r) => bounds.ice.dropped[r],
    );
  }

  /** A request's outcome: counted when a media bound refused it. */
  request(outcome: string): void {
    if (MEDIA_REFUSAL_CODES.has(outcome)) this.refusals.inc({ reason: outcome });
  }
}

function plain(registers: client.Registry[], name: string, help: string, read: () => number): void {
  let seen = 0;
  new client.Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      this.inc(Math.max(0, now - seen));
      seen = now;
    },
  });
}

/** A counter by reason over plain per-reason totals, caught up at each scrape. */
function catchUp<R extends string>(registers: client.Registry[], name: string, help: string, reasons: readonly R[], read: (reason: R) => number): void {
  const seen = new Map<R, number>(reasons.map((r) => [r, 0]));
  new client.Counter({
    name,
    help,
    labelNames: ['reason'],
    registers,
    collect() {
      for (const reason of reasons) {
        const now = read(reason);
        this.inc({ reason }, Math.max(0, now - seen.get(reason)!));
        seen.set(reason, now);
      }
    },
  });
}
