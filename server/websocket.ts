// The WebSocket upgrade on /ws, one Session per socket, and heartbeats: the server pings
// every interval and terminates a socket that did not answer the previous ping, so a
// vanished peer is gone within two intervals. Admission (origin, socket caps) is decided
// before the upgrade; a socket whose send queue outgrows its cap is closed (4014).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, HARD_MAX_FRAME_BYTES } from '../signaling/protocol.js';
import { Session, type SessionDeps } from '../signaling/session.js';
import { spreadSweep } from './sweep.js';
import { Admission, type AdmissionLimits, type Refusal, type RefusalReason } from './admission.js';

/** Why the server ended a socket on its own (the `reason` of rtc_ws_terminated_total). */
export type TerminationReason = 'slow_consumer' | 'heartbeat';

export interface SocketLimits {
  admission: AdmissionLimits;
  /** Send queue (WebSocket bufferedAmount) above which a socket is closed with 4014. */
  maxBufferedBytes: number;
  onRefused?: (reason: RefusalReason) => void;
  onTerminated?: (reason: TerminationReason) => void;
}

/** After the 4014 close frame is queued, how long a slow reader gets before the TCP connection is cut. */
const SLOW_CONSUMER_CLOSE_MS = 1000;

export interface SignalingServer {
  readonly connections: number;
  /**
   * Stops accepting sockets and closes every open one with the given code; a client that
   * has not closed its side by the deadline is cut off.
   */
  close(code: number, reason: string, deadlineMs?: number): Promise<void>;
}

export function attachSignaling(server: Server, deps: SessionDeps, limits: SocketLimits): SignalingServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_FRAME_BYTES, perMessageDeflate: false });
  const admission = new Admission(limits.admission);
  const alive = new WeakMap<WebSocket, boolean>();
  const timedOut = new WeakSet<WebSocket>();
  const slow = new WeakSet<WebSocket>();
  const sessions = new Map<WebSocket, Session>();
  let accepting = true;
  /** This tick's ping payload: only a pong that echoes it counts, so pongs sent without reading prove nothing. */
  // Each ping carries its own random payload; only the pong that echoes it counts.
  const pingPayloads = new WeakMap<WebSocket, Buffer>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The socket is ours from here: an error on it (a reset mid-handshake) must not be an uncaught 'error' event.
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' || !accepting) {
      socket.end(`HTTP/1.1 ${accepting ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const decision = admission.admit(req);
    if (!decision.admitted) {
      limits.onRefused?.(decision.refusal.reason);
      refuse(socket, decision.refusal);
      return;
    }
    // 'close' follows every end of the TCP connection: a failed handshake, a close, a terminate.
    socket.once('close', decision.release);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const shed = (ws: WebSocket, session: Session): void => {
    if (slow.has(ws)) return;
    slow.add(ws);
    limits.onTerminated?.('slow_consumer');
    deps.log.warn('closing slow consumer', { room: session.roomId, participant: session.participantId, bufferedBytes: ws.bufferedAmount });
    // The close frame waits behind the backlog; a reader that does not get to it in time is cut off.
    ws.close(CloseCode.SlowConsumer, 'slow consumer');
    setTimeout(() => ws.terminate(), SLOW_CONSUMER_CLOSE_MS).unref();
  };

  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    const session: Session = new Session(
      {
        send: (text) => {
          if (ws.readyState !== ws.OPEN) return;
          ws.send(text);
          if (ws.bufferedAmount > limits.maxBufferedBytes) shed(ws, session);
        },
        close: (code, reason) => ws.close(code, reason),
      },
      deps,
    );
    sessions.set(ws, session);
    ws.on('pong', (data: Buffer) => {
      const expected = pingPayloads.get(ws);
      if (expected !== undefined && data.equals(expected)) alive.set(ws, true);
    });
    // A throw from a socket event would reach ws's emitter and end the process: each
    // handler's failures end this session only.
    ws.on('message', (data, isBinary) => {
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        session.handleFrame(buf, isBinary);
      } catch (err) {
        session.internalFailure('frame', err);
      }
    });
    ws.on('close', (code: number) => {
      sessions.delete(ws);
      // 1006: the connection vanished without a close frame; it may come back and resume.
      // So may a slow consumer, once its network recovers.
      const vanished = timedOut.has(ws) || slow.has(ws) || code === 1006;
      try {
        session.socketClosed(timedOut.has(ws) ? 'timeout' : 'disconnected', !vanished);
      } catch (err) {
        session.internalFailure('socket closed', err);
      }
    });
    ws.on('error', () => {
      // A protocol error (e.g. a frame over maxPayload) closes the socket; 'close' follows.
    });
  });

  // Each socket is pinged once per interval, the sockets spread over it (server/sweep.ts).
  const heartbeat = spreadSweep(
    deps.heartbeatMs,
    () => sessions.keys(),
    (ws) => sessions.has(ws),
    (ws) => {
      const session = sessions.get(ws)!;
      try {
        if (alive.get(ws) === false) {
          deps.log.info('heartbeat timeout', { room: session.roomId, participant: session.participantId });
          limits.onTerminated?.('heartbeat');
          timedOut.add(ws);
          ws.terminate();
          return;
        }
        alive.set(ws, false);
        const payload = randomBytes(8);
        pingPayloads.set(ws, payload);
        ws.ping(payload);
      } catch (err) {
        // One socket's failure must not stop the heartbeat of the others.
        session.internalFailure('heartbeat', err);
        ws.terminate();
      }
    },
  );

  return {
    get connections() {
      return sessions.size;
    },
    async close(code, reason, deadlineMs = 2000) {
      accepting = false;
      heartbeat.stop();
      admission.close();
      const closed = [...sessions.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(code, reason);
            setTimeout(() => {
              ws.terminate();
              resolve();
            }, Math.min(deadlineMs, 2000)).unref();
          }),
      );
      await Promise.all(closed);
      wss.close();
    },
  };
}

const STATUS_TEXT: Record<Refusal['status'], string> = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Answers a refused upgrade with its status and a JSON body, and closes the connection. */
function refuse(socket: Duplex, refusal: Refusal): void {
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  const headers = [
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(refusal.retryAfterSeconds !== undefined ? [`Retry-After: ${refusal.retryAfterSeconds}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
