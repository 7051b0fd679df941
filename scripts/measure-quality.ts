// Measures what call-quality collection costs, and writes bench/results/quality.json:
//  - in the browser: main-thread script and task time per second of a page in a 3-person
//    call with the stats panel closed (badges only, getStats every 2 s) and open (every
//    1 s, charts), from Chromium's Performance.getMetrics;
//  - on the server: CPU of the server process with media-stats every 2 s vs. effectively
//    never (MEDIA_STATS_INTERVAL_MS=3600000), same call.
// Usage: npm run build && npx tsx scripts/measure-quality.ts [--seconds 20]
import { readFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServer, type ServerHandle } from '../tests/helpers/serverProcess.js';
import { openCall, waitForMedia } from '../tests/e2e/callPage.js';

const i = process.argv.indexOf('--seconds');
const seconds = i > 0 ? Number(process.argv[i + 1]) : 20;

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function pageCost(page: Page, ms: number): Promise<{ scriptMsPerS: number; taskMsPerS: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const a = await read();
  await new Promise((r) => setTimeout(r, ms));
  const b = await read();
  const dt = (b.Timestamp! - a.Timestamp!) || ms / 1000;
  return { scriptMsPerS: ((b.ScriptDuration! - a.ScriptDuration!) * 1000) / dt, taskMsPerS: ((b.TaskDuration! - a.TaskDuration!) * 1000) / dt };
}

async function call(server: ServerHandle, browser: Awaited<ReturnType<typeof launchChromium>>, room: string): Promise<Page[]> {
  const pages = [];
  for (const name of ['A', 'B', 'C']) pages.push(await openCall(browser, server.url, room, name));
  const ids = await Promise.all(pages.map((p) => p.evaluate(() => window.__call.participantId()!)));
  await waitForMedia(pages[0]!, [ids[1]!, ids[2]!], { timeoutMs: 15_000 });
  return pages;
}

const browser = await launchChromium();
const result: Record<string, unknown> = { date: new Date().toISOString(), seconds };
try {
  // Browser: one page measured with the panel closed, then open.
  const server = await startServer({ LOG_LEVEL: 'warn' });
  const pages = await call(server, browser, 'cost');
  await new Promise((r) => setTimeout(r, 3000));
  const closed = await pageCost(pages[0]!, seconds * 1000);
  await pages[0]!.evaluate(() => window.__call.openStats());
  await new Promise((r) => setTimeout(r, 2000));
  const open = await pageCost(pages[0]!, seconds * 1000);
  result.browser = { panelClosed: closed, panelOpen: open };
  console.log(`browser main thread, panel closed: script ${closed.scriptMsPerS.toFixed(1)} ms/s, all tasks ${closed.taskMsPerS.toFixed(1)} ms/s`);
  console.log(`browser main thread, panel open:   script ${open.scriptMsPerS.toFixed(1)} ms/s, all tasks ${open.taskMsPerS.toFixed(1)} ms/s`);
  await Promise.all(pages.map((p) => p.context().close()));
  await server.stop();

  // Server: the same call with media-stats every 2 s and (effectively) never.
  const serverCpu: Record<string, number> = {};
  for (const [label, interval] of [['every2s', '2000'], ['off', '3600000']] as const) {
    const s = await startServer({ LOG_LEVEL: 'warn', MEDIA_STATS_INTERVAL_MS: interval });
    const ps = await call(s, browser, `srv-${label}`);
    await new Promise((r) => setTimeout(r, 3000));
    const c0 = cpuSeconds(s.process.pid!);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    serverCpu[label] = ((cpuSeconds(s.process.pid!) - c0) / seconds) * 100;
    await Promise.all(ps.map((p) => p.context().close()));
    await s.stop();
  }
  result.serverCpuPercent = serverCpu;
  console.log(`server CPU, 3 participants: media-stats every 2 s ${serverCpu.every2s!.toFixed(1)}%, off ${serverCpu.off!.toFixed(1)}% of one core`);
  writeFileSync('bench/results/quality.json', JSON.stringify(result, null, 2) + '\n');
} finally {
  await browser.close();
}
