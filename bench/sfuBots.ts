// The SFU bench's bots, in their own process (forked by bench/sfu.ts): one publisher that
// sends synthetic VP8 RTP at a fixed packet rate and any number of subscribers that count
// what the SFU forwards to them. All are werift peer connections on loopback, talking the
// real signaling protocol, so the server does exactly what it does for browsers:
// DTLS-SRTP, one forwarded copy per subscriber, RTCP.
import { RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { answerSfuOffer, gatheringComplete, peerConnectionConfig, rewriteCandidates, type RtcOptions } from '../server/sfu/rtcConfig.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';
import { serveRequests } from './ipcChild.js';
import { startPacer, type Pacer } from './packetPacer.js';

export type BotRequest =
  | { type: 'publish'; wsUrl: string; room: string; packetsPerSecond: number; payloadBytes: number }
  | { type: 'subscribe'; wsUrl: string; room: string; total: number }
  | { type: 'counts' };
export interface BotCounts {
  /** RTP packets the publisher handed to its sender. */
  sent: number;
  /** RTP packets received, per subscriber, in join order. */
  received: number[];
}

/** Loopback only: the same options the server gets from RTC_LISTEN_IP=127.0.0.1. */
const RTC: RtcOptions = { portRange: undefined, listenIp: '127.0.0.1', announcedIp: undefined, iceTcp: false };
const FRAMES_PER_SECOND = 30;
const VIDEO_CLOCK_RATE = 90_000;

let publisher: { client: TestClient; pc: RTCPeerConnection; pacer: Pacer } | undefined;
const subscribers: Array<{ client: TestClient; pc: RTCPeerConnection; received: number }> = [];

function connected(pc: RTCPeerConnection, what: string, timeoutMs = 15_000): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not connected within ${timeoutMs} ms (${pc.connectionState})`)), timeoutMs);
    const sub = pc.connectionStateChange.subscribe((state) => {
      if (state !== 'connected') return;
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    });
  });
}

async function join(wsUrl: string, room: string, grants: { publish: boolean; subscribe: boolean }, name: string): Promise<TestClient> {
  const client = await TestClient.connect(wsUrl);
  const res = await client.request({ type: 'join', room, token: signedToken({ room, name, grants }) });
  if (!res.ok) throw new Error(`${name}: join refused: ${JSON.stringify(res.error)}`);
  return client;
}

async function publish(req: Extract<BotRequest, { type: 'publish' }>): Promise<void> {
  if (publisher) throw new Error('already publishing');
  const client = await join(req.wsUrl, req.room, { publish: true, subscribe: false }, 'publisher');
  const pc = new RTCPeerConnection(peerConnectionConfig(RTC));
  const transceiver: RTCRtpTransceiver = pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const res = await client.request({ type: 'publish', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000);
  if (!res.ok) throw new Error(`publish refused: ${JSON.stringify(res.error)}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: (res.result as { sdp: string }).sdp });
  await connected(pc, 'publisher');

  const packetsPerFrame = Math.max(1, Math.round(req.packetsPerSecond / FRAMES_PER_SECOND));
  // VP8 payload descriptor: S=1 on a frame's first packet; the SFU never decodes the rest.
  // Two shared payloads are enough: the sender copies every packet it is given.
  const firstPayload = Buffer.alloc(req.payloadBytes, 0xab);
  firstPayload[0] = 0x10;
  const otherPayload = Buffer.alloc(req.payloadBytes, 0xab);
  otherPayload[0] = 0x00;
  const firstSeq = Math.floor(Math.random() * 0x10000);
  const pacer = startPacer(req.packetsPerSecond, (i) => {
    const frame = Math.floor(i / packetsPerFrame);
    const lastOfFrame = i % packetsPerFrame === packetsPerFrame - 1;
    const header = new RtpHeader({
      sequenceNumber: (firstSeq + i) & 0xffff,
      timestamp: (frame * (VIDEO_CLOCK_RATE / FRAMES_PER_SECOND)) >>> 0,
      marker: lastOfFrame,
    });
    // The sender writes the negotiated payload type, its SSRC and header extensions.
    void transceiver.sender.sendRtp(new RtpPacket(header, i % packetsPerFrame === 0 ? firstPayload : otherPayload)).catch(() => {});
  });
  publisher = { client, pc, pacer };
}

async function addSubscriber(wsUrl: string, room: string, index: number): Promise<void> {
  const client = await join(wsUrl, room, { publish: false, subscribe: true }, `subscriber-${index}`);
  const pc = new RTCPeerConnection(peerConnectionConfig(RTC));
  const sub = { client, pc, received: 0 };
  subscribers.push(sub);
  // What happened so far, for the error message if no packet ever arrives.
  const seen = { offers: 0, answered: 0, tracks: 0 };
  const firstPacket = new Promise<void>((resolve) => {
    pc.onTrack.subscribe((track) => {
      seen.tracks++;
      track.onReceiveRtp.subscribe(() => {
        if (sub.received++ === 0) resolve();
      });
    });
  });
  // The server offers; the subscriber answers each offer in turn (at most one is
  // outstanding). Taken from the client's buffer: the first offer can arrive before this
  // code runs, right behind the join response.
  void (async () => {
    for (;;) {
      const offer = await client.nextEvent('offer', 3_600_000).catch(() => undefined);
      if (!offer) return; // the socket closed
      seen.offers++;
      await answerSfuOffer(pc, offer.sdp);
      await gatheringComplete(pc);
      const res = await client.request({ type: 'answer', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000);
      if (res.ok) seen.answered++;
      else console.error(`subscriber-${index}: answer refused: ${JSON.stringify(res.error)}`);
    }
  })().catch((err: unknown) => console.error(`subscriber-${index}: ${String(err)}`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`subscriber-${index}: no RTP within 15 s (${JSON.stringify(seen)}, connection ${pc.connectionState}, ICE ${pc.iceConnectionState})`)), 15_000);
  });
  await Promise.race([firstPacket, timeout]).finally(() => clearTimeout(timer));
}

serveRequests<BotRequest, BotCounts | null>(async (req) => {
  switch (req.type) {
    case 'publish':
      await publish(req);
      return null;
    case 'subscribe':
      // One at a time, as people join a call; the step's window starts after the last.
      for (let i = subscribers.length; i < req.total; i++) await addSubscriber(req.wsUrl, req.room, i);
      return null;
    case 'counts':
      return { sent: publisher?.pacer.sent ?? 0, received: subscribers.map((s) => s.received) };
  }
});
