// The media bounds (issue 12; PROTOCOL.md "Media limits"), over the WebSocket against a
// real server, on both engines: a 400-m-line offer, a fifth track, 1,000 tracks over many
// offers, two publishes at once, a node out of media connections, and a publisher that
// floods its data channel with 60 KB messages. Each was accepted before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { localRtcOptions } from '../../loadtest/media/peer.js';
import { gatheringComplete, peerConnectionConfig, rewriteCandidates } from '../../server/sfu/rtcConfig.js';
import { PROBE_CHANNELS } from '../../signaling/probeChannels.js';
import { CloseCode, ErrorCode, type JoinResult } from '../../signaling/protocol.js';
import { ownerIndex, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { ENGINES, engineEnv, type Engine } from '../helpers/engines.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { signedToken } from '../helpers/tokens.js';
import { ClientPool, freshRoom, type Response, type TestClient } from '../helpers/wsClient.js';
import { sdpWith, type MLineSpec } from '../unit/fixtures/sdp.js';

const RTC = localRtcOptions();
const peers: RTCPeerConnection[] = [];

function peer(): RTCPeerConnection {
  const pc = new RTCPeerConnection(peerConnectionConfig(RTC));
  peers.push(pc);
  return pc;
}

/** A real publisher offer with `tracks` sending transceivers (audio and video in turn). */
async function offerWith(pc: RTCPeerConnection, tracks: number): Promise<string> {
  for (let i = 0; i < tracks; i++) pc.addTransceiver(i % 2 ? 'video' : 'audio', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  return rewriteCandidates(pc.localDescription!.sdp, RTC);
}

/** The same offer with every mid renamed: new tracks as far as the server can tell. */
function withFreshMids(sdp: string, round: number): string {
  return sdp.replace(/a=mid:(\S+)/g, `a=mid:r${round}m$1`).replace(/a=group:BUNDLE (.*)/, (_l, mids: string) => `a=group:BUNDLE ${mids.split(' ').map((m) => `r${round}m${m}`).join(' ')}`);
}

async function healthz(server: ServerHandle): Promise<Record<string, unknown>> {
  return (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
}

async function metric(server: ServerHandle, line: RegExp): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').pop()) : Number.NaN;
}

function refusedWith(response: Response, code: string): void {
  expect(response).toMatchObject({ ok: false, error: { code } });
}

describe.each(ENGINES)('media bounds on %s', (engine: Engine) => {
  let server: ServerHandle;
  let clients: ClientPool;

  beforeAll(async () => {
    server = await startServer({ ...engineEnv(engine) });
    clients = new ClientPool(() => server.wsUrl);
  });

  afterAll(async () => {
    clients?.dropAll();
    await Promise.all(peers.splice(0).map((pc) => pc.close().catch(() => undefined)));
    await server?.stop();
  });

  async function publisher(): Promise<TestClient> {
    const room = freshRoom('bounds');
    return (await clients.joined(signedToken({ room }), room)).client;
  }

  it('refuses an offer of 400 m-lines with BAD_SDP, and the participant can still publish', async () => {
    const client = await publisher();
    const lines: MLineSpec[] = Array.from({ length: 400 }, (_, i) => [i % 2 ? 'video' : 'audio', String(i)]);
    const response = await client.request({ type: 'publish', sdp: sdpWith(...lines) });
    refusedWith(response, ErrorCode.BadSdp);
    expect(response.ok ? '' : response.error.message).toMatch(/400 m-lines; at most 8/);
    expect(await client.request({ type: 'publish', sdp: await offerWith(peer(), 2) }, 15_000)).toMatchObject({ ok: true });
  });

  it('refuses a fifth track with TRACK_LIMIT', async () => {
    const client = await publisher();
    refusedWith(await client.request({ type: 'publish', sdp: await offerWith(peer(), 5) }, 15_000), ErrorCode.TrackLimit);
    expect(await metric(server, /^rtc_media_refusals_total\{reason="TRACK_LIMIT"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('keeps a participant who offers 1,000 tracks over 250 offers at 4 tracks', async () => {
    const client = await publisher();
    const first = await offerWith(peer(), 4);
    expect(await client.request({ type: 'publish', sdp: first }, 15_000)).toMatchObject({ ok: true });
    const outcomes = new Set<string>();
    for (let round = 1; round < 250; round++) {
      const response = await client.request({ type: 'publish', sdp: withFreshMids(first, round) }, 15_000).catch(() => undefined);
      if (!response) break; // closed for misbehaving: a fine end for this client
      outcomes.add(response.ok ? 'ok' : response.error.code);
    }
    // werift keeps every mid's transceiver, so new mids are refused; mediasoup closes the
    // producers an offer leaves out, so it may take them in place of the old ones.
    if (engine === 'werift') expect(outcomes).toContain(ErrorCode.TrackLimit);
    for (const outcome of outcomes) expect(['ok', ErrorCode.TrackLimit, ErrorCode.RateLimited, ErrorCode.BadSdp]).toContain(outcome);
    const stats = await healthz(server);
    expect(stats.mediaForwarders).toBeLessThanOrEqual(4 + 2 + 2); // this one, and at most what the earlier tests left
  });

  it('refuses a second publish while the first is applied with PUBLISH_IN_PROGRESS', async () => {
    const client = await publisher();
    const sdp = await offerWith(peer(), 2);
    const [a, b] = await Promise.all([client.request({ type: 'publish', sdp }, 15_000), client.request({ type: 'publish', sdp }, 15_000)]);
    expect(a).toMatchObject({ ok: true });
    refusedWith(b, ErrorCode.PublishInProgress);
  });
});

describe.each(ENGINES)('a node out of media connections, on %s', (engine: Engine) => {
  let server: ServerHandle;
  let clients: ClientPool;

  beforeAll(async () => {
    // Four connections: two participants who publish and subscribe. werift takes them from
    // its port range, mediasoup from MAX_MEDIA_CONNECTIONS.
    const limit: Record<string, string> = engine === 'werift' ? { RTC_MIN_PORT: '47400', RTC_MAX_PORT: '47403' } : { MAX_MEDIA_CONNECTIONS: '4' };
    server = await startServer({ ...engineEnv(engine), ...limit });
    clients = new ClientPool(() => server.wsUrl);
  });

  afterAll(async () => {
    clients?.dropAll();
    await server?.stop();
  });

  it('refuses the join past the budget with MEDIA_CAPACITY and close 1013, and takes it again once someone left', async () => {
    const room = freshRoom('capacity');
    const first = await clients.joined(signedToken({ room }), room);
    await clients.joined(signedToken({ room }), room);
    const third = await clients.connect();
    const refused = await third.request({ type: 'join', token: signedToken({ room }), room });
    refusedWith(refused, ErrorCode.MediaCapacity);
    expect((await third.closed).code).toBe(CloseCode.TryAgainLater);
    expect(await metric(server, /^rtc_media_connections_budget /)).toBe(4);
    expect(await metric(server, /^rtc_media_connections /)).toBe(4);

    await first.client.request({ type: 'leave' });
    await first.client.closed;
    const again = await clients.joined(signedToken({ room }), room);
    expect((again.result as JoinResult).participantId).toEqual(expect.any(String));
  });
});

/** Opens the two probe channels, publishes, and waits until the reliable one is open. */
async function publishWithProbes(client: TestClient): Promise<RTCDataChannel> {
  const pc = peer();
  pc.addTransceiver('audio', { direction: 'sendonly' });
  const [reliable] = PROBE_CHANNELS.map((p) => pc.createDataChannel(p.label, { negotiated: true, id: p.streamId, ordered: p.ordered, ...('maxRetransmits' in p ? { maxRetransmits: p.maxRetransmits } : {}) }));
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const response = await client.request({ type: 'publish', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000);
  if (!response.ok) throw new Error(`publish refused: ${response.error.code}`);
  const answer = (response.result as { sdp: string }).sdp;
  expect(answer).toMatch(/a=max-message-size:16384/);
  // An attacker ignores the server's max-message-size.
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.replace(/a=max-message-size:\d+\r\n/, '') });
  const channel = reliable!;
  if (channel.readyState !== 'open') await new Promise<void>((resolve) => channel.stateChanged.subscribe((s) => s === 'open' && resolve()));
  return channel;
}

describe.each(ENGINES)('a data channel flood, on %s', (engine: Engine) => {
  let server: ServerHandle;
  let clients: ClientPool;

  beforeAll(async () => {
    server = await startServer({ ...engineEnv(engine) });
    clients = new ClientPool(() => server.wsUrl);
  });

  afterAll(async () => {
    clients?.dropAll();
    await Promise.all(peers.splice(0).map((pc) => pc.close().catch(() => undefined)));
    await server?.stop();
  });

  it('closes a publisher who sends 300 messages of 60 KB with 4015, and /healthz answers within 1 s meanwhile', async () => {
    const room = freshRoom('flood');
    const { client } = await clients.joined(signedToken({ room }), room);
    const channel = await publishWithProbes(client);
    const message = Buffer.alloc(60 * 1024, 7);
    for (let i = 0; i < 300 && channel.readyState === 'open'; i++) channel.send(message);
    let slowest = 0;
    const closed = client.closed;
    let done = false;
    void closed.then(() => (done = true));
    const until = Date.now() + 20_000;
    while (!done && Date.now() < until) {
      const started = performance.now();
      expect((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 100))]);
    }
    expect((await within(closed, 30_000)).code).toBe(CloseCode.MediaAbuse);
    expect(slowest).toBeLessThan(1000);
    expect(await metric(server, /^rtc_media_abuse_closed_total /)).toBe(1);
    expect((await metric(server, /^rtc_data_dropped_total\{reason="size"\}/)) + (await metric(server, /^rtc_data_dropped_total\{reason="rate"\}/))).toBeGreaterThan(0);
    expect(server.process.exitCode).toBeNull();
  }, 60_000);
});

describe.each(ENGINES)('a data channel flood across nodes, on %s', (engine: Engine) => {
  let cluster: ClusterHandle;
  const pools: ClientPool[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2, { ...engineEnv(engine) });
    for (const node of cluster.nodes) pools.push(new ClientPool(() => node.wsUrl));
  });

  afterAll(async () => {
    for (const p of pools) p.dropAll();
    await Promise.all(peers.splice(0).map((pc) => pc.close().catch(() => undefined)));
    await cluster?.stop();
  });

  it('closes with 4015 a flooder whose socket is on a node that does not own the room', async () => {
    const room = freshRoom('flood-relayed');
    await pools[0]!.joined(signedToken({ room }), room);
    const owner = await ownerIndex(cluster, room);
    const { client } = await pools[1 - owner]!.joined(signedToken({ room }), room);
    const channel = await publishWithProbes(client);
    const message = Buffer.alloc(60 * 1024, 7);
    for (let i = 0; i < 300 && channel.readyState === 'open'; i++) channel.send(message);
    // The owner closed the media; its verdict crossed the bus to the flooder's node.
    expect((await within(client.closed, 30_000)).code).toBe(CloseCode.MediaAbuse);
    expect(await metric(cluster.nodes[owner]!, /^rtc_media_abuse_closed_total /)).toBe(1);
  }, 60_000);
});

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
