// The load generator's media mode against the real server: one publisher's synthetic
// audio and video reach both subscribers of its room through the SFU, without loss or
// freezes, and every peer connection and socket is closed when the run resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadOptions } from '../../loadtest/options.js';
import { runLoad } from '../../loadtest/run.js';
import { loadOptions } from '../helpers/loadOptions.js';
import { startServer, TEST_JWT_SECRET, type ServerHandle } from '../helpers/serverProcess.js';

let server: ServerHandle;

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'warn' });
  // A fresh process's first werift peer connections (server and generator) take seconds
  // (certificates, first JIT); a short media run first keeps that out of the 6 s window.
  await runLoad(options(['--clients', '2', '--rooms', '1', '--media', '--duration', '2', '--jwt-secret', TEST_JWT_SECRET]));
});

afterAll(async () => {
  await server?.stop();
});

function options(argv: string[]): LoadOptions {
  return loadOptions(server.wsUrl, argv);
}

async function health(): Promise<{ connections: number; participants: number }> {
  return (await (await fetch(`${server.url}/healthz`)).json()) as { connections: number; participants: number };
}

describe('load generator media mode against the real server', () => {
  it('one publisher, two subscribers: both receive audio and video, loss under 1 %, no freezes', async () => {
    const report = await runLoad(
      options(['--scenario', 'join-storm', '--clients', '3', '--rooms', '1', '--media', '--publishers', '1', '--duration', '6', '--jwt-secret', TEST_JWT_SECRET]),
    );

    expect(report.errors).toEqual({ total: 0, byCode: {} });
    const media = report.media!;
    expect(media.publishers).toEqual({ planned: 1, connected: 1 });
    expect(media.subscribers).toEqual({ planned: 2, connected: 2 });
    expect(media.streams).toEqual({ expected: 4, receiving: 4 });
    expect(media.connectMs.publisher.count).toBe(1);
    expect(media.connectMs.subscriber.count).toBe(2);

    // 50 audio and 100 video packets a second for most of 6 s, to each of two subscribers.
    const { audio, video } = media.packets;
    expect(audio.sent).toBeGreaterThan(150);
    expect(video.sent).toBeGreaterThan(300);
    expect(audio.received).toBeGreaterThan(2 * 100);
    expect(video.received).toBeGreaterThan(2 * 200);
    expect(audio.received).toBeLessThanOrEqual(2 * audio.sent);
    expect(video.received).toBeLessThanOrEqual(2 * video.sent);
    expect(media.packets.lossPercent).toBeLessThan(1);
    expect(media.freezes).toEqual({ count: 0, totalSeconds: 0 });
    expect(media.forwardedPerSecond).toBeGreaterThan(100);
    expect(media.ok, `failures: ${media.failures.join('; ')}; generator event-loop delay max ${media.generatorLoopDelayMs.max} ms`).toBe(true);
    expect(report.interrupted).toBe(false);

    // Bounded: every socket (and with it every participant's media) is gone when the run resolves.
    await expect.poll(async () => (await health()).connections, { timeout: 5000 }).toBe(0);
  });
});
