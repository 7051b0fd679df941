// The page's signaling socket (client/call/signaling.ts, here on Node's own WebSocket): a socket
// this page closes itself fails its pending requests with a plain "connection lost", which
// the reconnect loop retries, never with the meaning of the close code it sent. Seen in
// Chromium: a media failure during a resume closed the resume's socket with 1000, the
// attempt read that as "the server ended the call" and the page gave up on a live session.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CallError } from '../../client/call/errors.js';
import { SignalingClient } from '../../client/call/signaling.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server that accepts sockets and never answers a request. */
async function silentServer(): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
}

async function rejection(p: Promise<unknown>): Promise<CallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CallError)) throw new Error(`expected a CallError, got ${String(err)}`);
  return err;
}

describe('the signaling client, closed by this page', () => {
  it('fails a pending request as a lost connection, not as the end of the call, whatever code it closed with', async () => {
    const client = new SignalingClient(await silentServer());
    await client.open();
    const pending = client.request({ type: 'ping' });
    client.close(1000, 'client closed');
    const err = await rejection(pending);
    expect(err.code).toBe('connection-lost');
    expect(err.final).toBe(false);
  });

  it('fails a socket still opening the same way', async () => {
    const client = new SignalingClient(await silentServer());
    const opening = client.open();
    client.close(1000, 'client closed');
    const err = await rejection(opening);
    expect(err.code).toBe('connection-lost');
    expect(err.final).toBe(false);
  });

  it('still reads a close from the server by its code: 1000 from the server ends the call', async () => {
    const url = await silentServer();
    server!.on('connection', (socket) => socket.on('message', () => socket.close(1000, 'left')));
    const client = new SignalingClient(url);
    await client.open();
    const err = await rejection(client.request({ type: 'ping' }));
    expect(err.code).toBe('ended-by-server');
    expect(err.final).toBe(true);
  });
});
