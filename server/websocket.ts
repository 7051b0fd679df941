// The WebSocket upgrade on /ws, one Session per socket, and heartbeats: the server pings
// every interval and terminates a socket that did not answer the previous ping, so a
// vanished peer is gone within two intervals.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { HARD_MAX_FRAME_BYTES } from '../signaling/protocol.js';
import { Session, type SessionDeps } from '../signaling/session.js';
import { spreadSweep } from './sweep.js';

export interface SignalingServer {
  readonly connections: number;
  /**
   * Stops accepting sockets and closes every open one with the given code; a client that
   * has not closed its side by the deadline is cut off.
   */
  close(code: number, reason: string, deadlineMs?: number): Promise<void>;
}

export function attachSignaling(server: Server, deps: SessionDeps): SignalingServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_FRAME_BYTES, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();
  const timedOut = new WeakSet<WebSocket>();
  const sessions = new Map<WebSocket, Session>();
  let accepting = true;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' || !accepting) {
      socket.end(`HTTP/1.1 ${accepting ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    const session = new Session(
      {
        send: (text) => {
          if (ws.readyState === ws.OPEN) ws.send(text);
        },
        close: (code, reason) => ws.close(code, reason),
      },
      deps,
    );
    sessions.set(ws, session);
    ws.on('pong', () => alive.set(ws, true));
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
      const vanished = timedOut.has(ws) || code === 1006;
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
          timedOut.add(ws);
          ws.terminate();
          return;
        }
        alive.set(ws, false);
        ws.ping();
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
