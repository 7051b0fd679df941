// The data channel flood of issue 12, measured: one publisher sends N messages of K KB
// (default 300 x 60 KB; `--messages 2000` is the 120 MB burst) on its probe
// channel, ignoring the server's max-message-size. We read the server's CPU seconds (from
// /proc) and the slowest /healthz while it lasts, until the server closes the socket or 60 s
// pass, against the median /healthz of the idle server measured first in the same run. The
// /healthz probe runs on a worker thread: this thread is busy pushing the flood through
// werift's SCTP, and timing from it measured the sender, not the server.
// `--unbounded` lifts the data bounds (what the server did before). Results go to
// bench/results/data-flood-<stamp>.json.
// Usage: npm run measure:data-flood -- [--messages N] [--kb K] [--unbounded] [--engine mediasoup]
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RTCPeerConnection } from 'werift';
import { localRtcOptions } from '../loadtest/media/peer.js';
import { gatheringComplete, peerConnectionConfig, rewriteCandidates } from '../server/sfu/rtcConfig.js';
import { PROBE_CHANNELS } from '../signaling/probeChannels.js';
import { startServer } from '../tests/helpers/serverProcess.js';
import { signedToken } from '../tests/helpers/tokens.js';
import { TestClient } from '../tests/helpers/wsClient.js';

const unbounded = process.argv.includes('--unbounded');
const engine = option('--engine') ?? 'werift';
const messages = Number(option('--messages') ?? 300);
const messageKb = Number(option('--kb') ?? 60);
if (!(Number.isInteger(messages) && messages > 0 && Number.isInteger(messageKb) && messageKb > 0 && messageKb <= 256)) {
  throw new Error('--messages must be a positive integer and --kb an integer from 1 to 256');
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Times /healthz every 100 ms on a thread of its own until told to stop; answers the
 * times in milliseconds. A request that fails or takes 10 s counts as 10 s.
 */
const HEALTHZ_PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const times = [];
let stop = false;
parentPort.on('message', () => (stop = true));
(async () => {
  while (!stop && times.length < workerData.limit) {
    const t = performance.now();
    await fetch(workerData.url + '/healthz', { signal: AbortSignal.timeout(10000) }).catch(() => undefined);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  parentPort.postMessage(times);
})();
`;

/** Starts the probe: `done` gives its times after `limit` requests, `stop()` sooner. */
function probeHealthz(url: string, limit: number): { done: Promise<number[]>; stop(): Promise<number[]> } {
  const worker = new Worker(HEALTHZ_PROBE, { eval: true, workerData: { url, limit } });
  const done = once(worker, 'message').then(async ([t]) => {
    await worker.terminate();
    return t as number[];
  });
  return {
    done,
    stop() {
      worker.postMessage('stop');
      return done;
    },
  };
}
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
  const idle = (await probeHealthz(server.url, 20).done).sort((x, y) => x - y);
  const idleMedianMs = (idle[9]! + idle[10]!) / 2;
  const pid = server.process.pid!;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const probe = probeHealthz(server.url, 1000);
  const message = Buffer.alloc(messageKb * 1024, 7);
  process.stdout.write(`sending ${messages} x ${messageKb} KB (${((messages * message.length) / 1e6).toFixed(0)} MB) on ${engine}${unbounded ? ', unbounded' : ''}\n`);
  for (let i = 0; i < messages; i++) channel!.send(message);
  let closedCode: number | undefined;
  void client.closed.then((c) => (closedCode = c.code));
  while (closedCode === undefined && performance.now() - started < 60_000 && echoedBytes < messages * message.length) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const during = await probe.stop();
  const slowest = Math.max(...during);
  const result = {
    engine,
    unbounded,
    sentMB: +((messages * message.length) / 1e6).toFixed(1),
    serverCpuSeconds: +(cpuSeconds(pid) - cpuBefore).toFixed(2),
    idleHealthzMedianMs: +idleMedianMs.toFixed(1),
    slowestHealthzMs: Math.round(slowest),
    healthzProbes: during.length,
    wallSeconds: +seconds.toFixed(1),
    closeCode: closedCode ?? null,
    echoedMB: +(echoedBytes / 1e6).toFixed(1),
  };
  console.log(JSON.stringify(result));
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/data-flood-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${file}`);
  client.terminate();
} finally {
  await pc.close().catch(() => undefined);
  await server.stop();
}
