// The baseline for the signaling bench: a bare `ws` broadcast server. No auth, no JSON,
// no validation, no rate limit: a socket on /ws?room=NAME is in that room, and every text
// frame it sends is relayed as is to every other socket of the room and answered with a
// fixed ack (our server answers every request too). What our server does beyond this is
// what the bench measures. GET /loop answers its event-loop delay since the last GET /loop
// (milliseconds: p50, p99, p999, max), measured as our server's /metrics measures it.
// Usage: tsx bench/bareServer.ts [--port 0] [--host 127.0.0.1]; prints "bare server ready <port>".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { BARE_ACK } from '../loadtest/wire.js';

export interface BareServer {
  port: number;
  close(): Promise<void>;
}

export async function startBareServer(port = 0, host = '127.0.0.1'): Promise<BareServer> {
  // The same sampling resolution as prom-client's nodejs_eventloop_lag_* in our server.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const server = http.createServer((req, res) => {
    if (req.url !== '/loop') return void res.writeHead(404).end();
    const ms = (ns: number): number => ns / 1e6;
    const body = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), p999: ms(loop.percentile(99.9)), max: ms(loop.max) };
    loop.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  const rooms = new Map<string, Set<WebSocket>>();
  wss.on('connection', (ws, req) => {
    const room = new URL(req.url ?? '/', 'http://localhost').searchParams.get('room') ?? '';
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Set()));
    members.add(ws);
    ws.on('message', (data, isBinary) => {
      for (const other of members) if (other !== ws && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
      ws.send(BARE_ACK);
    });
    ws.on('close', () => {
      members.delete(ws);
      if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
    });
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      loop.disable();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
  const bare = await startBareServer(Number(values.port), values.host);
  process.stdout.write(`bare server ready ${bare.port}\n`);
  const stop = (): void => void bare.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
