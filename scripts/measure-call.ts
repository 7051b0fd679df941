// Measures the call on this machine and writes bench/results/call.json:
//  - time from opening a deep link to the first decoded remote frame (median of 5);
//  - the server's CPU and memory with 4 participants each publishing 640x480 video.
// Usage: npm run build && npx tsx scripts/measure-call.ts [--runs 5] [--seconds 20]
import { readFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServer } from '../tests/helpers/serverProcess.js';
import { openCall, remoteStats } from '../tests/e2e/callPage.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const runs = arg('runs', 5);
const seconds = arg('seconds', 20);

const CLOCK_TICKS = 100; // USER_HZ on Linux
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
}
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}
async function cpuOver(pid: number, ms: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const server = await startServer({ LOG_LEVEL: 'warn' });
const pid = server.process.pid!;
const browser = await launchChromium();
try {
  // 1. Deep link to first decoded remote frame.
  const host = await openCall(browser, server.url, 'firstframe', 'Host');
  const hostId = await host.evaluate(() => window.__call.participantId());
  const firstFrameMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${server.url}/?room=firstframe&name=Guest${i}`);
    for (;;) {
      const ready = await page.evaluate(() => (window.__call ? window.__call.stats() : Promise.resolve([]))).catch(() => []);
      if (ready.some((s) => s.participantId === hostId && s.framesDecoded > 0)) break;
      if (performance.now() - t0 > 15_000) throw new Error('no decoded frame within 15 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    firstFrameMs.push(Math.round(performance.now() - t0));
    await context.close();
  }
  await host.context().close();
  console.log(`deep link -> first decoded remote frame: ${firstFrameMs.join(', ')} ms; median ${median(firstFrameMs)} ms`);

  // 2. Server cost: idle, then 4 publishing participants.
  const idleCpu = await cpuOver(pid, 5000);
  const idleRss = rssMb(pid);
  const pages: Page[] = [];
  for (let i = 0; i < 4; i++) pages.push(await openCall(browser, server.url, 'four', `P${i}`));
  await new Promise((r) => setTimeout(r, 10_000)); // bandwidth estimation ramps up
  const busyCpu = await cpuOver(pid, seconds * 1000);
  const busyRss = rssMb(pid);
  const perPage = await Promise.all(pages.map((p) => remoteStats(p)));
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, number>;
  console.log(`server idle: ${idleCpu.toFixed(1)}% of one core, ${idleRss.toFixed(0)} MB RSS`);
  console.log(`server with 4 participants (4 published videos + audio, 12 forwarded of each): ${busyCpu.toFixed(1)}% of one core, ${busyRss.toFixed(0)} MB RSS`);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    firstFrameMs,
    firstFrameMedianMs: median(firstFrameMs),
    server: { idleCpuPercent: idleCpu, idleRssMb: idleRss, fourParticipantsCpuPercent: busyCpu, fourParticipantsRssMb: busyRss, sampleSeconds: seconds },
    health,
    remoteStreamsPerPage: perPage.map((s) => s.length),
  };
  writeFileSync('bench/results/call.json', JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/results/call.json');
} finally {
  await browser.close();
  await server.stop();
}
