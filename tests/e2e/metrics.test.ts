// /metrics during a live call: valid Prometheus exposition (checked by promtool, from
// Debian's prometheus package) that shows media actually being forwarded.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { ENGINES, engineEnv } from '../helpers/engines.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { openCall, waitForMedia } from './callPage.js';

describe.each(ENGINES)('on %s', (engine) => {
  let server: ServerHandle;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    const probe = spawnSync('promtool', ['--version']);
    if (probe.error) throw new Error('promtool not found: install Debian\'s prometheus package (apt-get install prometheus)');
    server = await startServer({ MEDIA_STATS_INTERVAL_MS: '500', ...engineEnv(engine) });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(pages.map((p) => p.context().close()));
    await browser?.close();
    await server?.stop();
  });

  function sample(text: string, name: string, labels: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
    return line ? Number(line.split(' ').at(-1)) : Number.NaN;
  }

  it('serves metrics that promtool accepts and that show forwarded media during a call', async () => {
    const a = await openCall(browser, server.url, 'metrics', 'A');
    const b = await openCall(browser, server.url, 'metrics', 'B');
    pages.push(a, b);
    const [idA, idB] = await Promise.all([a, b].map((p) => p.evaluate(() => window.__call.participantId())));
    await waitForMedia(a, [idB!], { timeoutMs: 15_000 });
    await waitForMedia(b, [idA!], { timeoutMs: 15_000 });

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);

    expect(sample(text, 'rtc_participants', '')).toBe(2);
    expect(sample(text, 'rtc_rooms', '')).toBe(1);
    expect(sample(text, 'rtc_signaling_connections', '')).toBe(2);
    expect(sample(text, 'rtc_sfu_packets_forwarded_total', 'kind="video"')).toBeGreaterThan(0);
    expect(sample(text, 'rtc_sfu_packets_forwarded_total', 'kind="audio"')).toBeGreaterThan(0);
    expect(sample(text, 'rtc_signaling_messages_total', 'type="join",outcome="ok"')).toBe(2);
    // Per-stream histograms are observed every stats interval.
    expect(sample(text, 'rtc_sfu_inbound_stream_jitter_seconds_count', 'kind="video"')).toBeGreaterThan(0);
    // No ids in label values: every label value is from a small closed set.
    const labelValues = [...text.matchAll(/="([^"]*)"/g)].map((m) => m[1]!);
    expect(labelValues.filter((v) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(v))).toEqual([]);
  });

  it('the Grafana dashboard charts every rtc_ metric family, and the Prometheus config is valid', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (rtc_\S+) /gm)].map((m) => m[1]!);
    expect(families.length).toBeGreaterThan(10);
    const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/rtc-sfu.json', 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(families.filter((f) => !exprs.includes(f))).toEqual([]);

    const check = spawnSync('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml'], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});
