// Prometheus metrics (GET /metrics). Labels stay bounded: message types, outcomes, refusal
// reasons and media kinds only; never room, participant or track ids.
import client, { Registry } from 'prom-client';
import { BUS_REJECTIONS, type BusRejection } from '../signaling/cluster/busMessages.js';
import { RECORD_KINDS, type RecordKind } from '../signaling/cluster/records.js';
import type { MediaKind } from '../signaling/protocol.js';
import { REFUSAL_REASONS, type RefusalReason } from './admission.js';
import { BoundsMetrics } from './boundsMetrics.js';
import type { SfuTotals, StreamQualityObserver } from './sfu/totals.js';

export interface MetricsSources {
  /** Open signaling sockets. */
  connections(): number;
  rooms(): { rooms: number; participants: number };
  sfuTotals: SfuTotals;
}

const KINDS: MediaKind[] = ['audio', 'video'];

/**
 * Where an internal error was caught (the `source` of rtc_internal_errors_total):
 * the process's last-resort handlers, the SFU's callbacks, timers and teardown steps
 * (the participant's media is closed), or signaling's timers and socket events (the
 * session is closed with 1011).
 */
export type InternalErrorSource = 'uncaught_exception' | 'unhandled_rejection' | 'media' | 'signaling';
const INTERNAL_ERROR_SOURCES: InternalErrorSource[] = ['uncaught_exception', 'unhandled_rejection', 'media', 'signaling'];

export class Metrics implements StreamQualityObserver {
  readonly registry = new Registry();
  private readonly messages: client.Counter<'type' | 'outcome'>;
  private readonly requestSeconds: client.Histogram<'type'>;
  private readonly authRefusals: client.Counter<'reason'>;
  private readonly internalErrors: client.Counter<'source'>;
  private readonly inboundJitter: client.Histogram<'kind'>;
  private readonly inboundLoss: client.Histogram<'kind'>;
  private readonly outboundRtt: client.Histogram<'kind'>;
  private readonly outboundLoss: client.Histogram<'kind'>;
  private readonly outboundJitter: client.Histogram<'kind'>;
  private readonly bounds: BoundsMetrics;

  private readonly engineInfo: client.Gauge<'engine'>;
  private readonly wsRefusals: client.Counter<'reason'>;
  private readonly wsTerminations: client.Counter<'reason'>;
  private readonly busRejections: client.Counter<'reason'>;
  private readonly recordRejections: client.Counter<'record'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.bounds = new BoundsMetrics(registers, sources.sfuTotals.bounds);
    client.collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges with a `_total` suffix, which Prometheus reserves for
    // counters (promtool flags them). `nodejs_active_resources` (by type) stays and says
    // the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }

    this.engineInfo = new client.Gauge({
      name: 'rtc_media_engine_info',
      help: 'The media engine this node forwards with (value 1): mediasoup or werift.',
      labelNames: ['engine'],
      registers,
    });
    new client.Gauge({
      name: 'rtc_signaling_connections',
      help: 'Open signaling WebSocket connections.',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new client.Gauge({
      name: 'rtc_rooms',
      help: 'Rooms with at least one participant on this node.',
      registers,
      collect() {
        this.set(sources.rooms().rooms);
      },
    });
    new client.Gauge({
      name: 'rtc_participants',
      help: 'Participants joined on this node.',
      registers,
      collect() {
        this.set(sources.rooms().participants);
      },
    });
    this.messages = new client.Counter({
      name: 'rtc_signaling_messages_total',
      help: 'Signaling requests handled, by message type and outcome (ok or error code).',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.requestSeconds = new client.Histogram({
      name: 'rtc_signaling_request_duration_seconds',
      help: 'Time from receiving a signaling request to sending its response.',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.authRefusals = new client.Counter({
      name: 'rtc_auth_refusals_total',
      help: 'Joins refused, by reason.',
      labelNames: ['reason'],
      registers,
    });

    // Any rate above zero: something other than a node of this cluster publishes on its channels, or a bug.
    this.busRejections = new client.Counter({
      name: 'rtc_bus_messages_rejected_total',
      help: 'Cluster bus messages dropped unread, by reason: signature (not signed with the cluster key), json, schema.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of BUS_REJECTIONS) this.busRejections.inc({ reason }, 0);
    this.recordRejections = new client.Counter({
      name: 'rtc_redis_records_rejected_total',
      help: 'Records read from Redis that failed their schema and were treated as absent, by record: node, roster, resume.',
      labelNames: ['record'],
      registers,
    });
    for (const record of RECORD_KINDS) this.recordRejections.inc({ record }, 0);

    // SFU totals are plain numbers bumped on the packet path; counters catch up when scraped.
    const totals = sources.sfuTotals;
    const kindCounter = (name: string, help: string, read: (kind: MediaKind) => number): void => {
      const seen: Record<MediaKind, number> = { audio: 0, video: 0 };
      new client.Counter({
        name,
        help,
        labelNames: ['kind'],
        registers,
        collect() {
          for (const kind of KINDS) {
            const now = read(kind);
            if (now > seen[kind]) this.inc({ kind }, now - seen[kind]);
            seen[kind] = now;
          }
        },
      });
    };
    kindCounter('rtc_sfu_packets_received_total', 'RTP packets received from publishers.', (k) => totals.byKind[k].packetsIn);
    kindCounter('rtc_sfu_bytes_received_total', 'RTP payload bytes received from publishers.', (k) => totals.byKind[k].bytesIn);
    kindCounter('rtc_sfu_packets_forwarded_total', 'RTP packets forwarded to subscribers.', (k) => totals.byKind[k].packetsForwarded);
    kindCounter('rtc_sfu_bytes_forwarded_total', 'RTP payload bytes forwarded to subscribers.', (k) => totals.byKind[k].bytesForwarded);
    kindCounter(
      'rtc_sfu_packets_dropped_total',
      'RTP packets not forwarded because the controlled impairment dropped them.',
      (k) => totals.byKind[k].packetsDroppedImpairment,
    );
    const plainCounter = (name: string, help: string, read: () => number): void => {
      let seen = 0;
      new client.Counter({
        name,
        help,
        registers,
        collect() {
          const now = read();
          if (now > seen) this.inc(now - seen);
          seen = now;
        },
      });
    };
    plainCounter('rtc_sfu_nacks_received_total', 'NACK feedback messages received from subscribers.', () => totals.nacksReceived);
    plainCounter('rtc_sfu_keyframe_requests_received_total', 'PLI and FIR requests received from subscribers.', () => totals.keyframeRequestsReceived);
    plainCounter('rtc_sfu_plis_sent_total', 'PLIs sent to publishers (after rate limiting).', () => totals.plisSent);

    // Each one was also logged as an error; any rate above zero is a bug to look for.
    let mediaErrorsSeen = 0;
    this.internalErrors = new client.Counter({
      name: 'rtc_internal_errors_total',
      help: 'Internal errors caught and contained instead of ending the process, by where they were caught.',
      labelNames: ['source'],
      registers,
      collect() {
        const now = totals.internalErrors;
        if (now > mediaErrorsSeen) this.inc({ source: 'media' }, now - mediaErrorsSeen);
        mediaErrorsSeen = now;
      },
    });
    for (const source of INTERNAL_ERROR_SOURCES) this.internalErrors.inc({ source }, 0);

    const histogram = (name: string, help: string, buckets: number[]): client.Histogram<'kind'> =>
      new client.Histogram({ name, help, labelNames: ['kind'], buckets, registers });
    const seconds = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1];
    const ratio = [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
    this.inboundJitter = histogram('rtc_sfu_inbound_stream_jitter_seconds', 'RFC 3550 interarrival jitter of streams from publishers, per stats interval.', seconds);
    this.inboundLoss = histogram('rtc_sfu_inbound_stream_loss_ratio', 'Loss of streams from publishers over each stats interval (RFC 3550 counters).', ratio);
    this.outboundRtt = histogram('rtc_sfu_outbound_stream_rtt_seconds', 'Round-trip time to subscribers from RTCP receiver reports.', [...seconds, 2]);
    this.outboundLoss = histogram('rtc_sfu_outbound_stream_loss_ratio', 'Fraction lost reported by subscribers in RTCP receiver reports.', ratio);
    // Admission and slow consumers (issue 12): refusals happen before a socket exists.
    this.wsRefusals = new client.Counter({
      name: 'rtc_ws_refused_total',
      help: 'WebSocket upgrades refused, by reason: origin, server_full, ip_sockets, ip_rate.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of REFUSAL_REASONS) this.wsRefusals.inc({ reason }, 0);
    this.wsTerminations = new client.Counter({
      name: 'rtc_ws_terminated_total',
      help: 'Sockets the server ended on its own, by reason: slow_consumer (close 4014), heartbeat (no pong to its ping).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['slow_consumer', 'heartbeat'] as const) this.wsTerminations.inc({ reason }, 0);
    this.outboundJitter = histogram('rtc_sfu_outbound_stream_jitter_seconds', 'Jitter reported by subscribers in RTCP receiver reports.', seconds);
  }

  wsRefused(reason: RefusalReason): void {
    this.wsRefusals.inc({ reason });
  }

  wsTerminated(reason: 'slow_consumer' | 'heartbeat'): void {
    this.wsTerminations.inc({ reason });
  }

  setMediaEngine(engine: 'mediasoup' | 'werift'): void {
    this.engineInfo.reset();
    this.engineInfo.set({ engine }, 1);
  }

  request(type: string, outcome: string, seconds: number): void {
    this.messages.inc({ type, outcome });
    this.bounds.request(outcome);
    this.requestSeconds.observe({ type }, seconds);
  }

  authRefused(reason: string): void {
    this.authRefusals.inc({ reason });
  }

  busRejected(reason: BusRejection): void {
    this.busRejections.inc({ reason });
  }

  recordRejected(record: RecordKind): void {
    this.recordRejections.inc({ record });
  }

  internalError(source: InternalErrorSource): void {
    this.internalErrors.inc({ source });
  }

  inboundStream(kind: MediaKind, jitterSeconds: number, lossRatio: number): void {
    this.inboundJitter.observe({ kind }, jitterSeconds);
    this.inboundLoss.observe({ kind }, lossRatio);
  }

  outboundStream(kind: MediaKind, rttSeconds: number | null, lossRatio: number | null, jitterSeconds: number | null): void {
    if (rttSeconds !== null) this.outboundRtt.observe({ kind }, rttSeconds);
    if (lossRatio !== null) this.outboundLoss.observe({ kind }, lossRatio);
    if (jitterSeconds !== null) this.outboundJitter.observe({ kind }, jitterSeconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
