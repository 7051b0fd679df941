// Media mode of a load run (--media): once a bot is in its room it becomes a media peer.
// The first --publishers bots of each room publish synthetic audio and video; every bot
// answers the SFU's offers and counts what it receives (in a room with several
// publishers, publishers receive each other too, as in a call). Counted: connect times,
// packets sent and received, loss from sequence gaps, freezes. Bounded by the run: `stop`
// stops sending and closes every peer connection.
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { LoadError, type Bot } from '../bot.js';
import { LatencyHistogram, type LatencySummary } from '../histogram.js';
import type { Metrics } from '../metrics.js';
import type { LoadOptions, MediaOptions } from '../options.js';
import type { RtcOptions } from '../../server/sfu/rtcConfig.js';
import { MediaPublisher } from './mediaPublisher.js';
import { MediaSubscriber } from './mediaSubscriber.js';
import { isMediaErrorCode, localRtcOptions, type MediaSignaling } from './peer.js';
import type { MediaKind, StreamSnapshot } from './rtpCounting.js';
import { syntheticAudio, syntheticVideo } from './syntheticRtp.js';

/** Above this media loss the run fails (exit code 1). */
export const MEDIA_LOSS_LIMIT_PERCENT = 1;
export const AUDIO_PACKETS_PER_SECOND = 50;

interface MediaPeer {
  bot: Bot;
  publisher: MediaPublisher | undefined;
  subscriber: MediaSubscriber;
}

export interface PacketCounts {
  sent: number;
  /** Distinct packets the subscribers received. */
  received: number;
  /** From the sequence numbers each subscriber saw: lowest to highest of each stream. */
  expected: number;
  lost: number;
  duplicates: number;
  lossPercent: number;
}

export interface MediaReport {
  settings: { publishersPerRoom: number; audioPacketsPerSecond: number; videoPacketsPerSecond: number; ip: string };
  publishers: { planned: number; connected: number };
  /** Peers that should receive media (everyone in a room with a publisher other than themselves). */
  subscribers: { planned: number; connected: number };
  /** Offer (publisher) or first offer (subscriber) -> connectionState 'connected': signaling, ICE and DTLS. */
  connectMs: { publisher: LatencySummary; subscriber: LatencySummary };
  /** Streams the subscribers should receive (two per connected publisher in their room) and those that arrived. */
  streams: { expected: number; receiving: number };
  packets: PacketCounts & { audio: PacketCounts; video: PacketCounts };
  /** Video streams silent for more than 500 ms after their first packet; each gap counts whole. */
  freezes: { count: number; totalSeconds: number };
  /** Packets the SFU delivered to our subscribers per second, from the first one to the stop. */
  forwardedPerSecond: number;
  windowMs: number;
  /**
   * The generator's own event-loop delay (p99 and max, ms). The peers' pacers and
   * counters run on that loop: a freeze not much longer than the max may be the
   * generator's own stall (a busy machine), not the SFU's.
   */
  generatorLoopDelayMs: { p99: number; max: number };
  /** Whether the media passed: loss within the limit, every peer connected, every stream arrived. */
  ok: boolean;
  failures: string[];
}

export interface MediaProgress {
  receivedPerSecond: number;
  lossPercent: number;
}

const percent = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 100 * 1000) / 1000 : 0);

export class MediaLoad {
  private readonly peers = new Map<Bot, MediaPeer>();
  private readonly connectPublisher = new LatencyHistogram();
  private readonly rtc: RtcOptions;
  private packetsReceived = 0;
  private firstPacketMs: number | undefined;
  private stoppedAtMs: number | undefined;
  private last = { atMs: performance.now(), packets: 0 };
  private stopping = false;
  private readonly loopDelay: ELDHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly options: LoadOptions & { media: MediaOptions },
    /** Every bot of the run, joined or not: the plan counts them all. */
    private readonly bots: readonly Bot[],
    private readonly metrics: Metrics,
  ) {
    this.rtc = localRtcOptions(options.media.ip);
    this.loopDelay.enable();
  }

  /** Clients in each room: bot i is in room i % rooms, at position floor(i / rooms). */
  private roomSize(bot: Bot): number {
    const { clients, rooms } = this.options;
    return Math.floor(clients / rooms) + (bot.index % rooms < clients % rooms ? 1 : 0);
  }

  private isPublisher(bot: Bot): boolean {
    return Math.floor(bot.index / this.options.rooms) < this.options.media.publishersPerRoom;
  }

  /** Publishers in the bot's room other than itself. */
  private otherPublishers(bot: Bot): number {
    return Math.min(this.options.media.publishersPerRoom, this.roomSize(bot)) - (this.isPublisher(bot) ? 1 : 0);
  }

  /** A bot joined its room: make it a media peer. Failures are counted as errors. */
  joined(bot: Bot): void {
    if (this.stopping || this.peers.has(bot)) return;
    const signaling = botSignaling(bot);
    const timeoutMs = this.options.timeoutMs;
    const subscriber = new MediaSubscriber({
      rtc: this.rtc,
      timeoutMs,
      onError: (code) => this.failed(code),
      onPacket: () => {
        this.firstPacketMs ??= performance.now();
        this.packetsReceived++;
      },
    });
    let publisher: MediaPublisher | undefined;
    if (this.isPublisher(bot)) {
      const { videoPacketsPerSecond } = this.options.media;
      publisher = new MediaPublisher({
        streams: [syntheticAudio({ packetsPerSecond: AUDIO_PACKETS_PER_SECOND }), syntheticVideo({ packetsPerSecond: videoPacketsPerSecond })],
        rtc: this.rtc,
        timeoutMs,
      });
      const p = publisher;
      p.start(signaling).then(
        () => this.connectPublisher.record(p.connectMs!),
        (err: unknown) => this.failed(errorCode(err, 'media:publisher:internal')),
      );
    }
    this.peers.set(bot, { bot, publisher, subscriber });
    subscriber.start(signaling);
  }

  /** The media part of the progress line: packets received per second since the last call, loss so far. */
  progress(): MediaProgress {
    const now = performance.now();
    const dt = (now - this.last.atMs) / 1000;
    const rate = dt > 0 ? (this.packetsReceived - this.last.packets) / dt : 0;
    this.last = { atMs: now, packets: this.packetsReceived };
    let expected = 0;
    let lost = 0;
    for (const peer of this.peers.values()) {
      for (const s of peer.subscriber.snapshot(now)) {
        expected += s.expected;
        lost += s.lost;
      }
    }
    return { receivedPerSecond: rate, lossPercent: percent(lost, expected) };
  }

  /**
   * Ends media at `atMs` (the run's stop): counting stops there, publishers stop sending,
   * and every peer connection is closed (bounded by `timeoutMs`). Returns the report.
   */
  async stop(atMs: number, timeoutMs: number): Promise<MediaReport> {
    this.stopping = true;
    this.stoppedAtMs ??= atMs;
    this.loopDelay.disable();
    for (const peer of this.peers.values()) peer.publisher?.stopSending();
    const report = this.report(this.stoppedAtMs);
    const closing = [...this.peers.values()].flatMap((p) => [p.publisher?.close(), p.subscriber.close()]);
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    return report;
  }

  private failed(code: string): void {
    if (!this.stopping && code !== 'aborted') this.metrics.error(code);
  }

  private report(atMs: number): MediaReport {
    const { media } = this.options;
    const publishersPlanned = this.bots.filter((b) => this.isPublisher(b)).length;
    let subscribersPlanned = 0;
    let subscribersConnected = 0;
    let publishersConnected = 0;
    // Connected publishers by room, for the streams each subscriber should get.
    const publishingInRoom = new Map<string, number>();
    for (const peer of this.peers.values()) {
      if (peer.publisher?.isConnected) {
        publishersConnected++;
        publishingInRoom.set(peer.bot.room, (publishingInRoom.get(peer.bot.room) ?? 0) + 1);
      }
    }
    const kinds: Record<MediaKind, PacketCounts> = { audio: emptyCounts(), video: emptyCounts() };
    let streamsExpected = 0;
    let streamsReceiving = 0;
    let freezes = 0;
    let frozenMs = 0;
    for (const bot of this.bots) {
      const peer = this.peers.get(bot);
      const planned = this.otherPublishers(bot) > 0;
      if (planned) subscribersPlanned++;
      if (!peer) continue;
      if (planned && peer.subscriber.isConnected) subscribersConnected++;
      const streams: StreamSnapshot[] = peer.subscriber.snapshot(atMs);
      const fromOthers = (publishingInRoom.get(bot.room) ?? 0) - (peer.publisher?.isConnected ? 1 : 0);
      streamsExpected += 2 * Math.max(0, fromOthers);
      streamsReceiving += Math.min(streams.length, 2 * Math.max(0, fromOthers));
      for (const s of streams) {
        const k = kinds[s.kind];
        k.received += s.received;
        k.expected += s.expected;
        k.lost += s.lost;
        k.duplicates += s.duplicates;
        freezes += s.freezes;
        frozenMs += s.frozenMs;
      }
      if (peer.publisher) {
        kinds.audio.sent += peer.publisher.sent('audio');
        kinds.video.sent += peer.publisher.sent('video');
      }
    }
    const total = emptyCounts();
    for (const k of Object.values(kinds)) {
      k.lossPercent = percent(k.lost, k.expected);
      total.sent += k.sent;
      total.received += k.received;
      total.expected += k.expected;
      total.lost += k.lost;
      total.duplicates += k.duplicates;
    }
    total.lossPercent = percent(total.lost, total.expected);
    const windowMs = this.firstPacketMs === undefined ? 0 : Math.max(0, atMs - this.firstPacketMs);

    const failures: string[] = [];
    if (total.lossPercent > MEDIA_LOSS_LIMIT_PERCENT) failures.push(`media loss ${total.lossPercent}% is above ${MEDIA_LOSS_LIMIT_PERCENT}%`);
    if (publishersConnected < publishersPlanned) failures.push(`${publishersPlanned - publishersConnected} of ${publishersPlanned} publishers never connected`);
    if (subscribersConnected < subscribersPlanned) failures.push(`${subscribersPlanned - subscribersConnected} of ${subscribersPlanned} subscribers never connected`);
    if (streamsReceiving < streamsExpected) failures.push(`${streamsExpected - streamsReceiving} of ${streamsExpected} streams never arrived`);
    return {
      settings: { publishersPerRoom: media.publishersPerRoom, audioPacketsPerSecond: AUDIO_PACKETS_PER_SECOND, videoPacketsPerSecond: media.videoPacketsPerSecond, ip: media.ip },
      publishers: { planned: publishersPlanned, connected: publishersConnected },
      subscribers: { planned: subscribersPlanned, connected: subscribersConnected },
      connectMs: { publisher: this.connectPublisher.summary(), subscriber: this.subscriberConnectSummary() },
      streams: { expected: streamsExpected, receiving: streamsReceiving },
      packets: { ...total, audio: kinds.audio, video: kinds.video },
      freezes: { count: freezes, totalSeconds: Math.round(frozenMs) / 1000 },
      forwardedPerSecond: windowMs > 0 ? Math.round((this.packetsReceived / windowMs) * 1000 * 10) / 10 : 0,
      windowMs: Math.round(windowMs),
      generatorLoopDelayMs: { p99: Math.round(this.loopDelay.percentile(99) / 1e5) / 10, max: Math.round(this.loopDelay.max / 1e5) / 10 },
      ok: failures.length === 0,
      failures,
    };
  }

  private subscriberConnectSummary(): LatencySummary {
    const histogram = new LatencyHistogram();
    for (const peer of this.peers.values()) {
      const ms = peer.subscriber.connectMs;
      if (ms !== undefined) histogram.record(ms);
    }
    return histogram.summary();
  }
}

function emptyCounts(): PacketCounts {
  return { sent: 0, received: 0, expected: 0, lost: 0, duplicates: 0, lossPercent: 0 };
}

/** A stable code for a media failure: the code an Error carries, else `fallback`. */
function errorCode(err: unknown, fallback: string): string {
  if (err instanceof LoadError) return err.code;
  return err instanceof Error && isMediaErrorCode(err.message) ? err.message : fallback;
}

/** The signaling a media peer needs, over a load bot's socket. */
function botSignaling(bot: Bot): MediaSignaling {
  return {
    request: (type, sdp, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new LoadError(`timeout:media-${type}`)), timeoutMs);
        bot.request(
          (id) => JSON.stringify({ type, id, sdp }),
          (r) => {
            clearTimeout(timer);
            if (r instanceof LoadError) reject(r.code === 'aborted' ? new Error('aborted') : new LoadError(`media:${type}:${r.code}`));
            else if (!r.ok) reject(new LoadError(`media:${type}:${r.code ?? 'UNKNOWN'}`));
            else resolve(r.result);
          },
        );
      }),
    nextOffer: () => bot.nextOffer(),
  };
}
