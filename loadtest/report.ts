// The run's results: one JSON-serialisable object (what --json prints), the final table,
// and the live progress line.
import type { LatencySummary } from './histogram.js';
import type { MediaProgress, MediaReport } from './media/mediaLoad.js';
import { LATENCIES, type LatencyName, type Metrics } from './metrics.js';
import type { LoadOptions } from './options.js';

export interface LoadReport {
  tool: 'rtc-loadtest';
  /** Version of this report's shape. */
  reportVersion: 1;
  scenario: LoadOptions['scenario'];
  /** Which server protocol was spoken: ours or the bare baseline. */
  wire: 'ours' | 'bare';
  options: Omit<LoadOptions, 'jwtSecret' | 'json' | 'quiet' | 'media'> & { tokens: 'minted' | 'endpoint' | 'none'; media: boolean };
  startedAt: string;
  /** From the start of the schedule to the stop (deadline, interrupt or scenario end). */
  elapsedMs: number;
  interrupted: boolean;
  clients: {
    planned: number;
    connectAttempts: number;
    /** Successful joins, rejoins included. */
    joins: number;
    /** Bots in their room when the run stopped. */
    joinedAtEnd: number;
    heldPeak: number;
    heldAtEnd: number;
  };
  /** Milliseconds, each from the operation's intended start time (see metrics.ts). */
  latencyMs: Record<LatencyName, LatencySummary>;
  fanout: {
    sent: number;
    expectedDeliveries: number;
    delivered: number;
    missing: number;
    mismatched: number;
    /** From the first intended send to the last delivery. */
    windowMs: number;
    sendsPerSecond: number;
    deliveriesPerSecond: number;
    /** The generator's CPU while sending (100 = one core): near 100, the generator was the limit. */
    generatorCpuPercent: number | null;
  };
  messages: { sent: number; received: number; sentPerSecond: number; receivedPerSecond: number };
  errors: { total: number; byCode: Record<string, number> };
  /** The generator's own cost, to tell when it (not the server) was the limit. */
  generator: { cpuPercent: number; rssMb: number };
  /** Media mode (--media): peers, packets, loss, freezes; null without --media. */
  media: MediaReport | null;
}

export interface ReportInput {
  options: LoadOptions;
  metrics: Metrics;
  startedAt: Date;
  elapsedMs: number;
  interrupted: boolean;
  joinedAtEnd: number;
  heldAtEnd: number;
  cpuPercent: number;
  media?: MediaReport;
}

const perSecond = (n: number, ms: number): number => (ms > 0 ? Math.round((n / ms) * 1000 * 10) / 10 : 0);

export function buildReport(input: ReportInput): LoadReport {
  const { options: o, metrics: m } = input;
  const latencyMs = Object.fromEntries(Object.values(LATENCIES).map((name) => [name, m.histogram(name).summary()])) as Record<LatencyName, LatencySummary>;
  const windowMs = m.fanoutFirstSendMs !== undefined && m.fanoutLastDeliveryMs !== undefined ? Math.max(0, m.fanoutLastDeliveryMs - m.fanoutFirstSendMs) : 0;
  return {
    tool: 'rtc-loadtest',
    reportVersion: 1,
    scenario: o.scenario,
    wire: o.bare ? 'bare' : 'ours',
    options: {
      url: o.url,
      scenario: o.scenario,
      clients: o.clients,
      rooms: o.rooms,
      rate: o.rate,
      messageRate: o.messageRate,
      duration: o.duration,
      stormInterval: o.stormInterval,
      timeoutMs: o.timeoutMs,
      bare: o.bare,
      allowRemote: o.allowRemote,
      roomPrefix: o.roomPrefix,
      tokens: o.bare ? 'none' : o.jwtSecret ? 'minted' : 'endpoint',
      media: o.media !== undefined,
    },
    startedAt: input.startedAt.toISOString(),
    elapsedMs: Math.round(input.elapsedMs),
    interrupted: input.interrupted,
    clients: {
      planned: o.clients,
      connectAttempts: m.connectAttempts,
      joins: m.joins,
      joinedAtEnd: input.joinedAtEnd,
      heldPeak: m.heldPeak,
      heldAtEnd: input.heldAtEnd,
    },
    latencyMs,
    fanout: {
      sent: m.fanoutSent,
      expectedDeliveries: m.fanoutExpected,
      delivered: m.fanoutDelivered,
      missing: m.fanoutExpected - m.fanoutDelivered,
      mismatched: m.fanoutMismatched,
      windowMs: Math.round(windowMs),
      sendsPerSecond: perSecond(m.fanoutSent, windowMs),
      deliveriesPerSecond: perSecond(m.fanoutDelivered, windowMs),
      generatorCpuPercent: m.fanoutGeneratorCpuPercent === undefined ? null : Math.round(m.fanoutGeneratorCpuPercent),
    },
    messages: {
      sent: m.framesSent,
      received: m.framesReceived,
      sentPerSecond: perSecond(m.framesSent, input.elapsedMs),
      receivedPerSecond: perSecond(m.framesReceived, input.elapsedMs),
    },
    errors: { total: m.errorTotal, byCode: Object.fromEntries([...m.errors.entries()].sort(([a], [b]) => a.localeCompare(b))) },
    generator: { cpuPercent: Math.round(input.cpuPercent * 10) / 10, rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024) },
    media: input.media ?? null,
  };
}

const LATENCY_LABELS: Record<LatencyName, string> = {
  connect: 'connect (arrival -> open)',
  join: 'join (arrival -> joined)',
  joinRequest: 'join request (sent -> response)',
  fanout: 'fan-out (send -> each receiver)',
  fanoutAll: 'fan-out (send -> last receiver)',
  request: 'request (send -> response)',
  leave: 'leave (intended -> closed)',
  reconnect: 'reconnect (drop -> joined)',
};

/** What the close codes a refused join ends with mean (docs/PROTOCOL.md), shown beside their counts. */
const CODE_MEANINGS: Record<string, string> = {
  'close:4002': 'token invalid',
  'close:4003': 'token expired',
  'close:4004': 'token for another room',
  'close:4005': 'room full',
};

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** The human-readable summary printed at the end of a run. */
export function formatReport(r: LoadReport): string {
  const lines: string[] = [];
  lines.push(
    `${r.scenario} (${r.wire}) against ${r.options.url}: ${r.clients.planned} clients in ${r.options.rooms} rooms, ${r.options.rate}/s arrivals, ${(r.elapsedMs / 1000).toFixed(1)} s${r.interrupted ? ` of the requested ${r.options.duration} s (interrupted)` : ''}`,
  );
  lines.push('');
  const rows = [['latency, ms', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max']];
  for (const [name, s] of Object.entries(r.latencyMs) as Array<[LatencyName, LatencySummary]>) {
    if (s.count === 0) continue;
    rows.push([LATENCY_LABELS[name], String(s.count), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.p999), fmt(s.max)]);
  }
  if (r.media) {
    const media: Array<[string, LatencySummary]> = [
      ['media connect, publisher (offer -> connected)', r.media.connectMs.publisher],
      ['media connect, subscriber (offer -> connected)', r.media.connectMs.subscriber],
    ];
    for (const [label, s] of media) {
      if (s.count > 0) rows.push([label, String(s.count), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.p999), fmt(s.max)]);
    }
  }
  if (rows.length > 1) lines.push(table(rows), '');
  const c = r.clients;
  lines.push(`connections: ${c.joins} joins of ${c.planned} clients (${c.connectAttempts} connect attempts), held peak ${c.heldPeak}, in rooms at the end ${c.joinedAtEnd}`);
  if (r.fanout.sent > 0) {
    const f = r.fanout;
    lines.push(
      `fan-out: ${f.sent} sent, ${f.delivered}/${f.expectedDeliveries} deliveries (${f.missing} missing, ${f.mismatched} mismatched), ${f.sendsPerSecond}/s sent, ${f.deliveriesPerSecond}/s delivered ` +
        `over ${(f.windowMs / 1000).toFixed(1)} s (first send -> last delivery: after everyone joined, and sending stops before the deadline so the last messages can arrive)`,
    );
  }
  if (r.media) lines.push(...formatMedia(r.media));
  lines.push(`messages: ${r.messages.sent} sent (${r.messages.sentPerSecond}/s), ${r.messages.received} received (${r.messages.receivedPerSecond}/s)`);
  const errors = Object.entries(r.errors.byCode).map(([code, n]) => `${code}${CODE_MEANINGS[code] ? ` (${CODE_MEANINGS[code]})` : ''} ${n}`);
  lines.push(`errors: ${r.errors.total}${errors.length ? ` (${errors.join(', ')})` : ''}`);
  lines.push(`generator: ${r.generator.cpuPercent}% of one core, ${r.generator.rssMb} MB RSS`);
  return lines.join('\n');
}

/** The media section of the summary: peers, packets by kind, loss, freezes and the verdict. */
function formatMedia(m: MediaReport): string[] {
  const lines = [
    `media: ${m.publishers.connected}/${m.publishers.planned} publishers, ${m.subscribers.connected}/${m.subscribers.planned} subscribers connected, ` +
      `${m.streams.receiving}/${m.streams.expected} streams arriving (audio ${m.settings.audioPacketsPerSecond} pkt/s, video ${m.settings.videoPacketsPerSecond} pkt/s per publisher)`,
    '',
  ];
  const rows = [['media packets', 'sent', 'received', 'expected', 'lost', 'loss %', 'duplicates']];
  for (const [label, c] of [['audio', m.packets.audio], ['video', m.packets.video], ['total', m.packets]] as const) {
    rows.push([label, String(c.sent), String(c.received), String(c.expected), String(c.lost), c.lossPercent.toFixed(2), String(c.duplicates)]);
  }
  lines.push(table(rows), '');
  lines.push(
    `media: forwarded ${m.forwardedPerSecond} pkt/s to our subscribers over ${(m.windowMs / 1000).toFixed(1)} s, ` +
      `${m.freezes.count} video freezes (${m.freezes.totalSeconds.toFixed(1)} s frozen), generator event-loop delay p99 ${m.generatorLoopDelayMs.p99} ms, max ${m.generatorLoopDelayMs.max} ms`,
    `media: ${m.ok ? 'ok' : `FAILED: ${m.failures.join('; ')}`}`,
  );
  return lines;
}

/** One progress sample, taken about once a second. */
export interface Progress {
  elapsedS: number;
  planned: number;
  joined: number;
  held: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  errors: number;
  /** The scenario's headline latency so far. */
  headline: { name: LatencyName; p99: number; count: number };
  /** Media mode: RTP packets received per second by our subscribers, and loss so far. */
  media?: MediaProgress;
}

/** One progress line as key=value pairs, readable by people and by the bench script. */
export function formatProgress(p: Progress): string {
  return [
    `t=${p.elapsedS.toFixed(1)}s`,
    `joined=${p.joined}/${p.planned}`,
    `held=${p.held}`,
    `sent/s=${Math.round(p.sentPerSecond)}`,
    `recv/s=${Math.round(p.receivedPerSecond)}`,
    `${p.headline.name}.p99=${fmt(p.headline.p99)}ms(n=${p.headline.count})`,
    `errors=${p.errors}`,
    ...(p.media ? [`media.rx/s=${Math.round(p.media.receivedPerSecond)}`, `media.loss=${p.media.lossPercent.toFixed(2)}%`] : []),
  ].join(' ');
}
