// A subscriber that answers the SFU's offers with garbage, then normally, must cost it its
// own answer and nothing else: when the publisher later leaves, cleanly or by a dropped
// socket whose resume grace period runs out, everyone else hears participant-left and the
// server goes on serving. (Before: `x` was taken as an answer, werift's removeTrack threw
// "Sender does not exist" in the leave, and from the grace timer that ended the process.)
// The answer check is engine-independent, so the scenario runs on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { localRtcOptions } from '../../loadtest/media/peer.js';
import { answerSfuOffer, gatheringComplete, peerConnectionConfig, rewriteCandidates } from '../../server/sfu/rtcConfig.js';
import { ErrorCode, type JoinResult } from '../../signaling/protocol.js';
import { ENGINES, engineEnv } from '../helpers/engines.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom, type TestClient } from '../helpers/wsClient.js';

const RTC = localRtcOptions();
const GRACE_MS = 300;

let server: ServerHandle;
let clients: ClientPool;
const peers: RTCPeerConnection[] = [];

function peer(): RTCPeerConnection {
  const pc = new RTCPeerConnection(peerConnectionConfig(RTC));
  peers.push(pc);
  return pc;
}

/** Offers what `pc` sends in a `publish` and applies the SFU's answer (tracks reach the SFU with the SDP). */
async function publish(client: TestClient, pc: RTCPeerConnection): Promise<void> {
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const response = await client.request({ type: 'publish', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000);
  if (!response.ok) throw new Error(`publish refused: ${response.error.code} ${response.error.message}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: (response.result as { sdp: string }).sdp });
}

/** Answers one SFU offer as a well-behaved subscriber does. */
async function answer(client: TestClient, pc: RTCPeerConnection, offerSdp: string): Promise<void> {
  await answerSfuOffer(pc, offerSdp);
  await gatheringComplete(pc);
  expect(await client.request({ type: 'answer', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000)).toMatchObject({ ok: true });
}

async function expectServing(client: TestClient): Promise<void> {
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
  expect(server.process.exitCode).toBeNull();
}

describe.each(ENGINES)('on %s, a subscriber that answers an offer with `x`, then answers the next one normally', (engine) => {
  beforeAll(async () => {
    server = await startServer({ ...engineEnv(engine), RESUME_GRACE_MS: String(GRACE_MS) });
    clients = new ClientPool(() => server.wsUrl);
  });

  afterAll(async () => {
    clients?.dropAll();
    await Promise.all(peers.splice(0).map((pc) => pc.close().catch(() => undefined)));
    await server?.stop();
  });

  it.each([
    ['closes its socket cleanly', 'close'],
    ['drops its socket and its resume grace period runs out', 'drop'],
  ] as const)('the others hear participant-left when the publisher %s, and the server stays up', async (_what, how) => {
    const room = freshRoom('hostile');
    const sub = await clients.joined(signedToken({ room, name: 'Hostile' }), room);
    const pub = await clients.joined(signedToken({ room, name: 'Publisher' }), room);
    const publisherId = (pub.result as JoinResult).participantId;
    const publisher = peer();
    publisher.addTransceiver('audio', { direction: 'sendonly' });
    publisher.addTransceiver('video', { direction: 'sendonly' });
    await publish(pub.client, publisher);

    const first = await sub.client.nextEvent('offer', 10_000);
    expect(await sub.client.request({ type: 'answer', sdp: 'x' })).toMatchObject({ ok: false, error: { code: ErrorCode.BadSdp } });
    // The refused answer changed nothing: the same offer is still waiting for its answer.
    const subscriber = peer();
    await answer(sub.client, subscriber, first.sdp);

    // The next offer: the publisher adds a second video (a screen, say).
    publisher.addTransceiver('video', { direction: 'sendonly' });
    await publish(pub.client, publisher);
    const next = await sub.client.nextEvent('offer', 10_000);
    expect(next.tracks.map((t) => t.kind)).toEqual(['audio', 'video', 'video']);
    await answer(sub.client, subscriber, next.sdp);

    if (how === 'close') await pub.client.close();
    else pub.client.terminate();
    expect(await sub.client.nextEvent('participant-left', GRACE_MS + 5_000)).toMatchObject({ participantId: publisherId });
    await expectServing(sub.client);
  });
});
