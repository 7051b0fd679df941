// The HTTP side of the real server: health, readiness, the development token endpoint
// and its production default, a configuration error at start-up, limits on slow clients,
// security headers, and /metrics on its own port.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { devToken, freePort, startServer, type ServerHandle } from '../helpers/serverProcess.js';
import { ClientPool } from '../helpers/wsClient.js';

function postToken(url: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${url}/api/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('HTTP in development', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /healthz with status and counts', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', connections: expect.any(Number), rooms: expect.any(Number), participants: expect.any(Number) });
  });

  it('answers /readyz with 200 once listening', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true });
  });

  it('issues a token for a room and a name, which joins that room', async () => {
    const res = await postToken(server.url, JSON.stringify({ room: 'http-demo', name: 'Ada' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; identity: string; expiresIn: number };
    expect(body).toEqual({ token: expect.any(String), identity: expect.any(String), expiresIn: 6 * 3600 });

    const clients = new ClientPool(() => server.wsUrl);
    try {
      const { result } = await clients.joined(body.token, 'http-demo');
      expect(result).toMatchObject({ name: 'Ada', room: 'http-demo' });
    } finally {
      clients.dropAll();
    }
  });

  it('never mints admin: asking for it is refused with 403 ADMIN_NOT_GRANTED, and its tokens carry no admin grant', async () => {
    const res = await postToken(server.url, JSON.stringify({ room: 'http-demo', name: 'Eve', admin: true }));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ADMIN_NOT_GRANTED');
    const plain = (await (await postToken(server.url, JSON.stringify({ room: 'http-demo', name: 'Eve', admin: false }))).json()) as { token: string };
    const payload = JSON.parse(Buffer.from(plain.token.split('.')[1]!, 'base64url').toString()) as { grants: { admin: boolean } };
    expect(payload.grants.admin).toBe(false);
  });

  it.each([
    ['a missing name', JSON.stringify({ room: 'demo' }), /^name:/],
    ['a room with a slash', JSON.stringify({ room: 'a/b', name: 'Ada' }), /^room:/],
    ['a name of only spaces', JSON.stringify({ room: 'demo', name: '   ' }), /^name:/],
    ['a name longer than 40 characters', JSON.stringify({ room: 'demo', name: 'A'.repeat(41) }), /^name:/],
    ['a field it does not know', JSON.stringify({ room: 'demo', name: 'Ada', identity: 'admin' }), /identity/],
    ['a body that is not JSON', '{"room":', /malformed/],
    ['a body that is an array', '[]', /expected object/],
  ])('answers %s with 400 BAD_REQUEST', async (_what, body, message) => {
    const res = await postToken(server.url, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('BAD_REQUEST');
    expect(json.error.message).toMatch(message);
  });

  it('does not echo a long unknown field name in full, nor walk a deeply nested value', async () => {
    const long = await postToken(server.url, JSON.stringify({ room: 'demo', name: 'Ada', ['k'.repeat(3000)]: 1 }));
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message.length).toBeLessThanOrEqual(200);
    const deep = await postToken(server.url, `{"room":${'['.repeat(1900)}${']'.repeat(1900)},"name":"Ada"}`);
    expect(deep.status).toBe(400);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers a body above 4 KiB with 413', async () => {
    const res = await postToken(server.url, JSON.stringify({ room: 'demo', name: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
  });

  it('answers a body that is not JSON at all with 400', async () => {
    const res = await postToken(server.url, 'room=demo&name=Ada', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
  });

  it('sends security headers the call page works under: its own scripts, styles and WebSocket only, never framed', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port} wss://127.0.0.1:${server.port}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    // Plain HTTP: no HSTS.
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // The page has no inline script or style for the CSP to block.
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);
  });

  it('marks token responses Cache-Control: no-store', async () => {
    const ok = await postToken(server.url, JSON.stringify({ room: 'demo', name: 'Ada' }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('serves /metrics on the main port when METRICS_PORT is not set', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('answers an unknown path with 404 NOT_FOUND', async () => {
    const res = await fetch(`${server.url}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });
});

describe('HTTP in production', () => {
  // Production refuses the tests' published secret.
  const PRODUCTION_SECRET = randomBytes(32).toString('base64url');

  it('keeps the token endpoint off (404) unless DEV_TOKENS=true', async () => {
    for (const devTokens of ['false', '']) {
      const server = await startServer({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, DEV_TOKENS: devTokens });
      try {
        const res = await postToken(server.url, JSON.stringify({ room: 'demo', name: 'Ada' }));
        expect(res.status, `DEV_TOKENS=${JSON.stringify(devTokens)}`).toBe(404);
        expect(await res.json()).toMatchObject({ error: { code: 'DISABLED' } });
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      } finally {
        await server.stop();
      }
    }
  });

  it('serves no source maps, and /metrics only on METRICS_PORT when that is set', async () => {
    const metricsPort = await freePort();
    const server = await startServer({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, METRICS_PORT: String(metricsPort) });
    try {
      expect((await fetch(`${server.url}/app.js.map`)).status).toBe(404);
      expect((await fetch(`${server.url}/app.js`)).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^# TYPE rtc_ws_refused_total counter$/m);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('sends HSTS when it serves TLS itself', async () => {
    const server = await startServer({ TLS_SELF_SIGNED: 'true' });
    try {
      const { request } = await import('node:https');
      const hsts = await new Promise<string | undefined>((resolve, reject) => {
        request(`https://127.0.0.1:${server.port}/healthz`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          const value = res.headers['strict-transport-security'];
          resolve(typeof value === 'string' ? value : undefined);
        })
          .on('error', reject)
          .end();
      });
      expect(hsts).toMatch(/max-age=\d+/);
    } finally {
      await server.stop();
    }
  });

  it('sends HSTS behind a trusted TLS proxy, and only when the proxy says https', async () => {
    const hstsOf = async (url: string, headers: Record<string, string>): Promise<string | null> =>
      (await fetch(`${url}/healthz`, { headers })).headers.get('strict-transport-security');
    const proxied = await startServer({ TRUST_PROXY_HOPS: '1' });
    const direct = await startServer();
    try {
      expect(await hstsOf(proxied.url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' })).toMatch(/max-age=\d+/);
      expect(await hstsOf(proxied.url, { 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.7' })).toBeNull();
      // Without a trusted proxy the header is anyone's to send.
      expect(await hstsOf(direct.url, { 'x-forwarded-proto': 'https' })).toBeNull();
    } finally {
      await Promise.all([proxied.stop(), direct.stop()]);
    }
  });

  it('serves the token endpoint when DEV_TOKENS=true', async () => {
    const server = await startServer({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, DEV_TOKENS: 'true' });
    try {
      expect(await devToken(server.url, 'demo', 'Ada')).toEqual(expect.any(String));
    } finally {
      await server.stop();
    }
  });
});

/** What a slow client saw: the server's answer, when it came and when the connection closed. */
interface SlowClientResult {
  answer: string;
  answeredAfterMs: number | undefined;
  closedAfterMs: number;
  /** The socket error, if any (a reset after the answer is how a server's close can arrive). */
  error: string | undefined;
}

/**
 * Opens a raw connection, writes `head`, then one more byte of `trickle` every 100 ms, as
 * a slowloris client does, until the server answers; resolves with what the server answered
 * and when it closed. The server answers 408 and closes at once (Node's own behaviour): a
 * byte still on its way then turns that close into a reset, which must not fail the test
 * when the 408 has arrived; the assertions judge the answer and the time instead.
 */
async function trickle(port: number, head: string, drip: string): Promise<SlowClientResult> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = performance.now();
  let answer = '';
  let answeredAfterMs: number | undefined;
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    answeredAfterMs ??= performance.now() - started;
    answer += chunk.toString();
  });
  // Not once(socket, 'close'): it rejects on 'error', and 'close' follows every error anyway.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = `${err.code ?? err.message} after ${Math.round(performance.now() - started)} ms`));
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    // A client that has its answer stops sending: later bytes only provoke a reset.
    if (answeredAfterMs === undefined && !socket.destroyed) socket.write(drip[i++ % drip.length]!);
  }, 100);
  try {
    await closed;
  } finally {
    clearInterval(timer);
  }
  return { answer, answeredAfterMs, closedAfterMs: performance.now() - started, error };
}

describe('HTTP limits on slow clients', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer({ HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('cuts off a client that sends its headers a byte at a time, after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const result = await trickle(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: aaaaaaaa\r\n');
    const { answer, closedAfterMs } = result;
    expect(answer, JSON.stringify(result)).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(closedAfterMs).toBeLessThan(3000);
  });

  it('cuts off a client that sends its body a byte at a time, after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const head = 'POST /api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const result = await trickle(server.port, head, ' ');
    const { answer, closedAfterMs } = result;
    expect(answer, JSON.stringify(result)).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(closedAfterMs).toBeLessThan(4000);
  });

  it('still serves a client that is quick', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('start-up configuration', () => {
  function run(env: Record<string, string>) {
    return spawnSync(process.execPath, [path.resolve('dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
  }

  it('refuses PORT=abc with a non-zero exit and a message naming PORT', () => {
    const result = run({ PORT: 'abc' });
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.stderr).toMatch(/^\s*PORT: /m);
  });

  it('refuses production without JWT_SECRET', () => {
    const result = run({ NODE_ENV: 'production', PORT: '0' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/JWT_SECRET: is required when NODE_ENV=production/);
  });

  it('refuses production with a published example secret, naming JWT_SECRET', () => {
    const result = run({ NODE_ENV: 'production', PORT: '0', JWT_SECRET: 'compose-demo-secret-NOT-FOR-PRODUCTION-0000' });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/JWT_SECRET: is a published example secret/);
  });
});
