// A client that stops reading while the server keeps sending is closed with 4014 once its
// send queue passes the cap, instead of growing the server's memory without end. The
// socket is an in-memory stream whose reader stalls: on a real network the kernel's
// buffers (about 4 MB on loopback) fill first, then the queue this cap bounds.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../signaling/auth.js';
import { createLogger } from '../../signaling/log.js';
import { CloseCode } from '../../signaling/protocol.js';
import { RoomDirectory } from '../../signaling/room.js';
import { singleNodeRoomService } from '../helpers/roomService.js';
import { attachSignaling, type SignalingServer, type TerminationReason } from '../../server/websocket.js';
import { FakeMediaPlane } from '../helpers/fakeMedia.js';

const MAX_BUFFERED = 2048;

/** The server's end of a connection whose reader can stop reading: writes then wait in the stream's queue. */
class StallingSocket extends Duplex {
  received = Buffer.alloc(0);
  private stalled = false;
  private waiting: Array<() => void> = [];

  stall(): void {
    this.stalled = true;
  }
  catchUp(): void {
    this.stalled = false;
    for (const done of this.waiting.splice(0)) done();
  }
  /** A masked text frame from the client, as a browser sends it (mask key 0). */
  clientText(text: string): void {
    const payload = Buffer.from(text);
    if (payload.length > 125) throw new Error('short frames only');
    this.push(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error) => void): void {
    const take = (): void => {
      this.received = Buffer.concat([this.received, chunk]);
      done();
    };
    if (this.stalled) this.waiting.push(take);
    else take();
  }
  override _read(): void {}
}

function upgradeRequest(): IncomingMessage {
  const headers = { host: 'localhost', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-version': '13' };
  return { method: 'GET', url: '/ws', headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

let http: Server;
let signaling: SignalingServer;
let terminated: TerminationReason[];
let logLines: string[];

beforeEach(() => {
  http = createServer();
  terminated = [];
  logLines = [];
  const tokens = new TokenIssuer('slow-consumer-test-secret-at-least-32-chars', 3600);
  signaling = attachSignaling(
    http,
    {
      rooms: singleNodeRoomService(new RoomDirectory(new FakeMediaPlane(), 16), 0),
      tokens,
      log: createLogger('warn', (line) => logLines.push(line)),
      iceServers: () => [],
      heartbeatMs: 60_000,
      joinTimeoutMs: 60_000,
      impairmentEnabled: false,
      media: { engine: 'werift', simulcast: false },
    },
    {
      admission: { allowedOrigins: [], maxSockets: 100, maxSocketsPerIp: 100, newSocketsPerIpPerSecond: 100, newSocketsPerIpBurst: 100, trustProxyHops: 0 },
      maxBufferedBytes: MAX_BUFFERED,
      onTerminated: (reason) => terminated.push(reason),
    },
  );
});

afterEach(async () => {
  await signaling.close(1001, 'test over', 100);
});

function connect(): StallingSocket {
  const socket = new StallingSocket();
  http.emit('upgrade', upgradeRequest(), socket, Buffer.alloc(0));
  expect(socket.received.toString()).toMatch(/^HTTP\/1\.1 101/);
  return socket;
}

/** 100 pings (the rate limit's burst): about 6 KB of responses, three times the cap. */
function askForResponses(socket: StallingSocket): void {
  for (let id = 1; id <= 100; id++) socket.clientText(JSON.stringify({ type: 'ping', id }));
}

describe('slow consumers', () => {
  it('a client that stops reading while the server answers it is closed with 4014, then cut off', async () => {
    const socket = connect();
    socket.stall();
    const closed = once(socket, 'close');
    askForResponses(socket);
    await expect.poll(() => terminated, { timeout: 2000 }).toEqual(['slow_consumer']);
    expect(logLines.some((l) => l.includes('closing slow consumer'))).toBe(true);

    // A reader that catches up finds the close frame (4014) behind the backlog; nothing after it.
    socket.catchUp();
    const closeFrame = Buffer.from([0x88, 2 + 'slow consumer'.length, CloseCode.SlowConsumer >> 8, CloseCode.SlowConsumer & 0xff]);
    const at = socket.received.indexOf(closeFrame);
    expect(at).toBeGreaterThan(0);
    expect(socket.received.length).toBe(at + closeFrame.length + 'slow consumer'.length);
    // It never answers the close: the connection is cut within a second or so.
    await closed;
    expect(signaling.connections).toBe(0);
  });

  it('a client that reads gets every response and stays', async () => {
    const socket = connect();
    askForResponses(socket);
    await expect.poll(() => (socket.received.toString().match(/"type":"response"/g) ?? []).length, { timeout: 2000 }).toBe(100);
    expect(terminated).toEqual([]);
    expect(signaling.connections).toBe(1);
    socket.destroy();
  });
});
