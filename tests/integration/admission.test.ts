// Admission at the WebSocket upgrade of the real server: pages of other origins are
// refused with 403, and one address cannot hold more sockets, or open them faster, than
// its limits; a full node answers 503. Every refusal comes before a socket exists, with a
// JSON body and a count in /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';

type Upgrade = { opened: true; socket: WebSocket } | { opened: false; status: number; retryAfter: string | undefined; body: { error: { code: string; message: string } } };

/** Attempts an upgrade; resolves with the open socket or the refusal the server sent. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.once('open', () => resolve({ opened: true, socket }));
    socket.once('unexpected-response', (req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        req.destroy();
        const retryAfter = res.headers['retry-after'];
        resolve({ opened: false, status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body: JSON.parse(text) as { error: { code: string; message: string } } });
      });
    });
    socket.once('error', reject);
  });
}

async function opened(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const result = await upgrade(url, headers);
  if (!result.opened) throw new Error(`upgrade refused with ${result.status} ${JSON.stringify(result.body)}`);
  return result.socket;
}

async function refused(url: string, headers: Record<string, string> = {}): Promise<Extract<Upgrade, { opened: false }>> {
  const result = await upgrade(url, headers);
  if (result.opened) {
    result.socket.terminate();
    throw new Error('upgrade was accepted');
  }
  return result;
}

async function refusals(server: ServerHandle): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^rtc_ws_refused_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

async function connections(server: ServerHandle): Promise<number> {
  return ((await (await fetch(`${server.url}/healthz`)).json()) as { connections: number }).connections;
}

function closeAll(sockets: WebSocket[]): void {
  for (const s of sockets) s.terminate();
  sockets.length = 0;
}

describe('admission with the default per-address limits', () => {
  let server: ServerHandle;
  const open: WebSocket[] = [];
  beforeAll(async () => {
    server = await startServer({
      ALLOWED_ORIGINS: 'https://call.example.org, http://localhost:3000',
      PUBLIC_URL: 'https://rtc.example.net',
      // Blank: the defaults (200 sockets per address), not the test helper's lifted limit.
      WS_MAX_SOCKETS_PER_IP: '',
      // The rate limit is exercised below with its own server; here 201 sockets open at once.
      WS_NEW_SOCKETS_PER_IP_BURST: '1000',
    });
  });
  afterAll(async () => {
    closeAll(open);
    await server?.stop();
  });

  it('refuses a page of another origin with 403 ORIGIN_NOT_ALLOWED, and counts it', async () => {
    const before = (await refusals(server)).origin ?? 0;
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, 'https://call.example.org.evil.example']) {
      const result = await refused(server.wsUrl, { Origin: origin });
      expect(result.status, origin).toBe(403);
      expect(result.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    }
    expect((await refusals(server)).origin).toBe(before + 4);
    expect(await connections(server)).toBe(0);
  });

  it("accepts the server's own origin, the listed ones, PUBLIC_URL's, and clients that send no Origin", async () => {
    for (const origin of [`http://127.0.0.1:${server.port}`, `https://127.0.0.1:${server.port}`, 'https://call.example.org', 'http://localhost:3000', 'https://rtc.example.net']) {
      open.push(await opened(server.wsUrl, { Origin: origin }));
    }
    open.push(await opened(server.wsUrl));
    closeAll(open);
  });

  it('holds 200 sockets from one address and refuses the 201st with 429 TOO_MANY_SOCKETS, X-Forwarded-For or not', async () => {
    const before = (await refusals(server)).ip_sockets ?? 0;
    for (let i = 0; i < 200; i++) open.push(await opened(server.wsUrl));
    const result = await refused(server.wsUrl);
    expect(result).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_SOCKETS' } } });
    expect(result.retryAfter).toBeDefined();
    // Without TRUST_PROXY_HOPS the header is the client's own word and changes nothing.
    expect((await refused(server.wsUrl, { 'X-Forwarded-For': '203.0.113.7' })).status).toBe(429);
    expect((await refusals(server)).ip_sockets).toBe(before + 2);

    // A socket that closes gives its place back.
    open.pop()!.terminate();
    await expect.poll(() => connections(server)).toBe(199);
    open.push(await opened(server.wsUrl));
    closeAll(open);
  });
});

describe('admission behind a trusted proxy, with a small node', () => {
  let server: ServerHandle;
  const open: WebSocket[] = [];
  beforeAll(async () => {
    server = await startServer({ TRUST_PROXY_HOPS: '1', WS_MAX_SOCKETS_PER_IP: '2', WS_MAX_SOCKETS: '3' });
  });
  afterAll(async () => {
    closeAll(open);
    await server?.stop();
  });

  it("counts each client by the proxy's X-Forwarded-For entry, not by what the client wrote before it", async () => {
    open.push(await opened(server.wsUrl, { 'X-Forwarded-For': '198.51.100.1' }));
    open.push(await opened(server.wsUrl, { 'X-Forwarded-For': '10.9.9.9, 198.51.100.1' }));
    expect((await refused(server.wsUrl, { 'X-Forwarded-For': '10.1.1.1, 198.51.100.1' })).body.error.code).toBe('TOO_MANY_SOCKETS');
    open.push(await opened(server.wsUrl, { 'X-Forwarded-For': '198.51.100.2' }));
    closeAll(open);
  });

  it('refuses a socket past WS_MAX_SOCKETS with 503 SERVER_FULL, whatever the address', async () => {
    for (const ip of ['198.51.100.10', '198.51.100.11', '198.51.100.12']) open.push(await opened(server.wsUrl, { 'X-Forwarded-For': ip }));
    const result = await refused(server.wsUrl, { 'X-Forwarded-For': '198.51.100.13' });
    expect(result).toMatchObject({ status: 503, body: { error: { code: 'SERVER_FULL' } } });
    expect((await refusals(server)).server_full).toBe(1);
    closeAll(open);
  });
});

describe('admission: the per-address rate of new sockets', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer({ WS_NEW_SOCKETS_PER_IP_PER_SECOND: '4', WS_NEW_SOCKETS_PER_IP_BURST: '5' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets a burst of 5 in, refuses the 6th with 429 TOO_MANY_NEW_SOCKETS, and lets one in again once the bucket refills', async () => {
    const started = performance.now();
    for (let i = 0; i < 5; i++) (await opened(server.wsUrl)).terminate();
    const result = await refused(server.wsUrl);
    expect(result).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_NEW_SOCKETS' } } });
    expect(Number(result.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await refusals(server)).ip_rate).toBe(1);
    // 4 per second: a token is back within 250 ms of the burst.
    await expect.poll(async () => (await upgrade(server.wsUrl).then((u) => (u.opened ? (u.socket.terminate(), true) : false))), { timeout: 3000, interval: 100 }).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });
});
