// The SFU bench's bots, in their own process (forked by bench/sfu.ts): one publisher that
// sends synthetic VP8 RTP at a fixed packet rate and any number of subscribers that count
// what the SFU forwards to them. All are werift peer connections on loopback, talking the
// real signaling protocol, so the server does exactly what it does for browsers:
// DTLS-SRTP, one forwarded copy per subscriber, RTCP. The peers themselves are the load
// generator's media bots (loadtest/media/).
//
// mediasoup, unlike werift, reads the VP8 payload and forwards nothing to a consumer
// before a keyframe; the bots do not answer keyframe requests, so syntheticVideo marks
// one every 10 frames itself.
//
// With a `decryptOneIn`, subscribers count packets off the socket and decrypt one in that
// many (loadtest/media/sampledSrtp.ts), so that on a small machine the bots leave the
// cores to the server under test.
import { MediaPublisher } from '../loadtest/media/mediaPublisher.js';
import { MediaSubscriber } from '../loadtest/media/mediaSubscriber.js';
import { localRtcOptions, type MediaSignaling } from '../loadtest/media/peer.js';
import { syntheticVideo } from '../loadtest/media/syntheticRtp.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';
import { serveRequests } from './ipcChild.js';

export type BotRequest =
  | { type: 'publish'; wsUrl: string; room: string; packetsPerSecond: number; payloadBytes: number }
  | { type: 'subscribe'; wsUrl: string; room: string; total: number; decryptOneIn: number | undefined }
  | { type: 'counts' };
export interface BotCounts {
  /** RTP packets the publisher handed to its sender. */
  sent: number;
  /** RTP packets received, per subscriber, in join order. */
  received: number[];
  /** Sampled packets decrypted and authenticated, and those that failed, all subscribers together (--decrypt-one-in). */
  verified?: number;
  failed?: number;
}

/** Loopback only: the same options the server gets from RTC_LISTEN_IP=127.0.0.1. */
const RTC = localRtcOptions('127.0.0.1');
const TIMEOUT_MS = 15_000;
/** Frames per second of the bench's video. */
const FRAMES_PER_SECOND = 30;

let publisher: { client: TestClient; media: MediaPublisher } | undefined;
const subscribers: Array<{ client: TestClient; media: MediaSubscriber }> = [];

async function join(wsUrl: string, room: string, grants: { publish: boolean; subscribe: boolean }, name: string): Promise<TestClient> {
  const client = await TestClient.connect(wsUrl);
  const res = await client.request({ type: 'join', room, token: signedToken({ room, name, grants }) });
  if (!res.ok) throw new Error(`${name}: join refused: ${JSON.stringify(res.error)}`);
  return client;
}

/** The media peers' signaling over a test client; offers come from its buffer (the first arrives right behind the join response). */
function signalingOf(client: TestClient): MediaSignaling {
  return {
    async request(type, sdp, timeoutMs) {
      const res = await client.request({ type, sdp }, timeoutMs);
      if (!res.ok) throw new Error(`media:${type}:${res.error.code} (${res.error.message})`);
      return res.result;
    },
    nextOffer: () =>
      client.nextEvent('offer', 3_600_000).then(
        (offer) => offer.sdp,
        () => undefined, // the socket closed
      ),
  };
}

async function publish(req: Extract<BotRequest, { type: 'publish' }>): Promise<void> {
  if (publisher) throw new Error('already publishing');
  const client = await join(req.wsUrl, req.room, { publish: true, subscribe: false }, 'publisher');
  const media = new MediaPublisher({ streams: [syntheticVideo({ packetsPerSecond: req.packetsPerSecond, payloadBytes: req.payloadBytes, framesPerSecond: FRAMES_PER_SECOND })], rtc: RTC, timeoutMs: TIMEOUT_MS });
  await media.start(signalingOf(client));
  publisher = { client, media };
}

async function addSubscriber(wsUrl: string, room: string, index: number, decryptOneIn: number | undefined): Promise<void> {
  const client = await join(wsUrl, room, { publish: false, subscribe: true }, `subscriber-${index}`);
  const media = new MediaSubscriber({ rtc: RTC, timeoutMs: TIMEOUT_MS, decryptOneIn, onError: (code) => console.error(`subscriber-${index}: ${code}`) });
  subscribers.push({ client, media });
  media.start(signalingOf(client));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`subscriber-${index}: no RTP within 15 s (${JSON.stringify(media.seen)}, connection ${media.pc?.connectionState ?? 'none'}, ICE ${media.pc?.iceConnectionState ?? 'none'})`),
        ),
      TIMEOUT_MS,
    );
  });
  await Promise.race([media.firstPacket, timeout]).finally(() => clearTimeout(timer));
}

serveRequests<BotRequest, BotCounts | null>(async (req) => {
  switch (req.type) {
    case 'publish':
      await publish(req);
      return null;
    case 'subscribe':
      // One at a time, as people join a call; the step's window starts after the last.
      for (let i = subscribers.length; i < req.total; i++) await addSubscriber(req.wsUrl, req.room, i, req.decryptOneIn);
      return null;
    case 'counts':
      return {
        sent: publisher?.media.sent('video') ?? 0,
        received: subscribers.map((s) => s.media.packets),
        verified: subscribers.reduce((sum, s) => sum + s.media.sampledCounts.verified, 0),
        failed: subscribers.reduce((sum, s) => sum + s.media.sampledCounts.failed, 0),
      };
  }
});
