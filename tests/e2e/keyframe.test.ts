// The keyframe-request path, tested explicitly: a subscriber's PLI must reach the
// publisher through the SFU. werift 0.25 routes an incoming PLI by its sender SSRC first,
// so a request can land on the wrong object; the SFU catches it at the transport.
// The subscriber here is a werift peer in the test process, so the PLI is ours to send.
import { RTCPeerConnection, type MediaStreamTrack, type RTCRtpReceiver, type RtpPacket } from 'werift';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerSfuOffer } from '../../server/sfu/rtcConfig.js';
import { launchChromium } from '../helpers/browser.js';
import { ENGINES, engineEnv } from '../helpers/engines.js';
import { devToken, startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, waitFor } from './callPage.js';


/** VP8 (RFC 7741): true when the packet starts a key frame. */
function isVp8KeyframeStart(rtp: RtpPacket): boolean {
  const p = rtp.payload;
  if (p.length < 2) return false;
  const x = (p[0]! & 0x80) !== 0;
  const s = (p[0]! & 0x10) !== 0;
  const pid = p[0]! & 0x07;
  if (!s || pid !== 0) return false;
  let offset = 1;
  if (x) {
    const ext = p[1]!;
    offset = 2;
    if (ext & 0x80) offset += (p[offset]! & 0x80) !== 0 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) offset += 1; // TL0PICIDX
    if (ext & 0x30) offset += 1; // TID/KEYIDX
  }
  const header = p[offset];
  return header !== undefined && (header & 0x01) === 0;
}

async function publisherPliCount(page: Page): Promise<number> {
  return page.evaluate(() => window.__call.publisherStats().then((s) => s.videoPliCount));
}

describe.each(ENGINES)('on %s', (engine) => {
  let server: ServerHandle;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(engineEnv(engine));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a subscriber's keyframe request reaches the publisher and a keyframe follows", async () => {
    const room = 'keyframe';
    const publisher = await openCall(browser, server.url, room, 'Publisher');

    const token = await devToken(server.url, room, 'werift-subscriber');
    const ws = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'], bundlePolicy: 'max-bundle' });
    let nextId = 1;
    const send = (msg: Record<string, unknown>): number => {
      const id = nextId++;
      ws.send(JSON.stringify({ ...msg, id }));
      return id;
    };
    let video: { track: MediaStreamTrack; receiver: RTCRtpReceiver } | undefined;
    const keyframesAt: number[] = [];
    pc.ontrack = ({ track, receiver }) => {
      if (track.kind !== 'video') return;
      video = { track, receiver };
      track.onReceiveRtp.subscribe((rtp) => {
        if (isVp8KeyframeStart(rtp)) keyframesAt.push(Date.now());
      });
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; sdp?: string };
      if (msg.type !== 'offer' || !msg.sdp) return;
      void (async () => {
        await answerSfuOffer(pc, msg.sdp!);
        send({ type: 'answer', sdp: pc.localDescription!.sdp });
      })();
    });

    try {
      send({ type: 'join', token, room });
      // The SFU asks for a keyframe once the new subscriber's connection is up: the first
      // one arrives without the subscriber asking.
      await waitFor(() => keyframesAt.length > 0, 3000, 'the first keyframe at the werift subscriber, unasked');

      // Let the SFU's rate limit (one request per 500 ms) pass, then ask for a keyframe.
      await new Promise((r) => setTimeout(r, 700));
      const plisBefore = await publisherPliCount(publisher);
      const keyframesBefore = keyframesAt.length;
      const ssrc = video?.track.ssrc;
      expect(ssrc).toBeTypeOf('number');
      await video!.receiver.sendRtcpPLI(ssrc!);

      await waitFor(async () => (await publisherPliCount(publisher)) > plisBefore, 3000, 'the publisher counted a PLI');
      await waitFor(() => keyframesAt.length > keyframesBefore, 3000, 'a keyframe after the PLI');
    } finally {
      ws.close();
      await pc.close();
      await publisher.context().close();
    }
  });
});
