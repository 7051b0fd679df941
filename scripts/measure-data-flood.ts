// The data channel flood of issue 12, measured: one publisher sends 300 messages of 60 KB
// on its probe channel (ignoring the server's max-message-size), and we read the server's
// CPU seconds (from /proc) and the slowest /healthz while it lasts, until the server closes
// the socket or 60 s pass. `--unbounded` lifts the data bounds (what the server did before).
// Usage: npm run build && tsx scripts/measure-data-flood.ts [--unbounded] [--engine mediasoup]
import { readFileSync } from 'node:fs';
import { RTCPeerConnection } from 'werift';
import { localRtcOptions } from '../loadtest/media/peer.js';
import { gatheringComplete, peerConnectionConfig, rewriteCandidates } from '../server/sfu/rtcConfig.js';
import { PROBE_CHANNELS } from '../signaling/probeChannels.js';
import { startServer } from '../tests/helpers/serverProcess.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';

const unbounded = process.argv.includes('--unbounded');
const engine = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1]! : 'werift';
const RTC = localRtcOptions();
const TICKS = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const server = await startServer({
  MEDIA_ENGINE: engine,
  ...(unbounded ? { DATA_MESSAGE_MAX_BYTES: '262144', DATA_RATE_BYTES_PER_SECOND: '100000000', DATA_BURST_BYTES: '100000000', DATA_ABUSE_DROPS: '100000' } : {}),
});
const pc = new RTCPeerConnection(peerConnectionConfig(RTC));
try {
  const room = 'flood';
  const client = await TestClient.connect(server.wsUrl);
  const joined = await client.request({ type: 'join', token: signedToken({ room }), room });
  if (!joined.ok) throw new Error('join refused');
  pc.addTransceiver('audio', { direction: 'sendonly' });
  const [channel] = PROBE_CHANNELS.map((p) => pc.createDataChannel(p.label, { negotiated: true, id: p.streamId, ordered: p.ordered }));
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const response = await client.request({ type: 'publish', sdp: rewriteCandidates(pc.localDescription!.sdp, RTC) }, 15_000);
  if (!response.ok) throw new Error('publish refused');
  const answer = (response.result as { sdp: string }).sdp.replace(/a=max-message-size:\d+\r\n/, '');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  if (channel!.readyState !== 'open') await new Promise<void>((resolve) => channel!.stateChanged.subscribe((s) => s === 'open' && resolve()));
  let echoedBytes = 0;
  channel!.onMessage.subscribe((d) => (echoedBytes += typeof d === 'string' ? d.length : d.length));
  const pid = server.process.pid!;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const message = Buffer.alloc(60 * 1024, 7);
  for (let i = 0; i < 300; i++) channel!.send(message);
  let closedCode: number | undefined;
  void client.closed.then((c) => (closedCode = c.code));
  let slowest = 0;
  while (closedCode === undefined && performance.now() - started < 60_000 && echoedBytes < 300 * message.length) {
    const t = performance.now();
    await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    slowest = Math.max(slowest, performance.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ engine, unbounded, serverCpuSeconds: +(cpuSeconds(pid) - cpuBefore).toFixed(2), slowestHealthzMs: Math.round(slowest), wallSeconds: +seconds.toFixed(1), closeCode: closedCode ?? null, echoedMB: +(echoedBytes / 1e6).toFixed(1) }));
  client.terminate();
} finally {
  await pc.close().catch(() => undefined);
  await server.stop();
}
