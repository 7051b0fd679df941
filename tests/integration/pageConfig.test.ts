// GET /api/config tells the call page which media transports this server can carry and
// which engine runs; it never carries a secret (no TURN secret, credentials or URLs).
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';

const TURN_SECRET = 'a-turn-secret-nobody-may-see-0123456789';

describe('GET /api/config', () => {
  let server: ServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function config(env: Record<string, string>): Promise<{ status: number; text: string; body: unknown }> {
    server = await startServer({ MEDIA_ENGINE: 'werift', ...env });
    const res = await fetch(`${server.url}/api/config`);
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) };
  }

  it('without ICE-TCP or TURN: UDP only, and the engine that runs', async () => {
    const { status, body } = await config({ RTC_ICE_TCP: 'false' });
    expect(status).toBe(200);
    expect(body).toEqual({ engine: 'werift', transports: { udp: true, iceTcp: false, turnTcp: false } });
  });

  it('with RTC_ICE_TCP and a TURN server over TCP: all three, without the TURN secret or URLs', async () => {
    const { body, text } = await config({ RTC_ICE_TCP: 'true', TURN_SECRET, TURN_URLS: 'turn:127.0.0.1:3478?transport=tcp' });
    expect(body).toEqual({ engine: 'werift', transports: { udp: true, iceTcp: true, turnTcp: true } });
    expect(text).not.toContain(TURN_SECRET);
    expect(text).not.toContain('3478');
  });

  it('a TURN server reached over UDP only does not count as TURN over TCP', async () => {
    const { body } = await config({ TURN_SECRET, TURN_URLS: 'turn:127.0.0.1:3478?transport=udp' });
    expect(body).toMatchObject({ transports: { turnTcp: false } });
  });
});
