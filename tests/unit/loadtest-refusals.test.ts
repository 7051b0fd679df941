// The load generator's accounting against a small in-process stand-in of the server's
// signaling (join, mute fan-out, the room capacity of 16): a join refused because the
// room is full is one error, not two, the warning says so before the run, and the run
// lasts the --duration asked for.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { optionWarnings, parseLoadArgs, ROOM_CAPACITY, type LoadOptions } from '../../loadtest/options.js';
import { formatReport } from '../../loadtest/report.js';
import { runLoad } from '../../loadtest/run.js';

/** Joins up to ROOM_CAPACITY per room; beyond that FORBIDDEN then close 4005, as the real server does. */
function fakeSignaling(): WebSocketServer {
  const rooms = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => {
    let room: string | undefined;
    const id = `p${Math.random().toString(36).slice(2)}`;
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; id: number; room?: string; muted?: boolean };
      if (msg.type === 'join') {
        const members = rooms.get(msg.room ?? '') ?? new Set<WebSocket>();
        rooms.set(msg.room ?? '', members);
        if (members.size >= ROOM_CAPACITY) {
          ws.send(JSON.stringify({ type: 'response', id: msg.id, ok: false, error: { code: 'FORBIDDEN', message: 'room is full' } }));
          ws.close(4005, 'room full');
          return;
        }
        members.add(ws);
        room = msg.room;
        ws.send(JSON.stringify({ type: 'response', id: msg.id, ok: true, result: { participantId: id } }));
      } else if (msg.type === 'mute') {
        ws.send(JSON.stringify({ type: 'response', id: msg.id, ok: true }));
        const event = `{"type":"participant-updated","participant":{"id":"${id}","muted":{"audio":${msg.muted === true}}}}`;
        for (const other of rooms.get(room ?? '') ?? []) if (other !== ws) other.send(event);
      } else {
        ws.send(JSON.stringify({ type: 'response', id: msg.id, ok: true }));
      }
    });
    ws.on('close', () => rooms.get(room ?? '')?.delete(ws));
  });
  return wss;
}

let wss: WebSocketServer;
let url: string;
beforeAll(async () => {
  wss = fakeSignaling();
  await once(wss, 'listening');
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
});
afterAll(() => {
  wss.close();
});

function options(argv: string[]): LoadOptions {
  const parsed = parseLoadArgs(['--url', url, '--jwt-secret', 'loadtest-unit-secret-loadtest-unit-secret', '--quiet', ...argv]);
  if (!parsed.ok) throw new Error(parsed.help ? 'help' : parsed.error);
  return parsed.options;
}

describe('rooms over capacity', () => {
  it('--clients 200 --rooms 5 warns before the run that rooms hold 16 and how many joins will be refused', () => {
    const [warning] = optionWarnings(options(['--clients', '200', '--rooms', '5']));
    expect(warning).toMatch(/rooms of up to 40 clients \(--clients 200 over --rooms 5\), but a room holds at most 16/);
    expect(warning).toContain('expect 120 joins refused (close:4005, room full)');
    expect(warning).toContain('--rooms 13 fits everyone');
    expect(optionWarnings(options(['--clients', '200', '--rooms', '13']))).toEqual([]);
  });

  it('counts each refused join once, under its close code, and the counts add up', async () => {
    const report = await runLoad(options(['--clients', '40', '--rooms', '2', '--rate', '400', '--duration', '1.5', '--room-prefix', 'full']));
    // 20 per room, 16 fit: 4 refused in each room.
    expect(report.clients.joins).toBe(32);
    expect(report.errors).toEqual({ total: 8, byCode: { 'close:4005': 8 } });
    expect(formatReport(report)).toContain('errors: 8 (close:4005 (room full) 8)');
  });
});

describe('the reported window', () => {
  it('a fan-out run of --duration 2 reports 2.0 s, though sending stops early and every message arrives before the deadline', async () => {
    const report = await runLoad(options(['--scenario', 'fanout', '--clients', '6', '--rooms', '1', '--rate', '100', '--message-rate', '5', '--duration', '2', '--room-prefix', 'window']));
    expect(report.fanout.missing).toBe(0);
    expect(report.fanout.delivered).toBeGreaterThan(0);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(report.elapsedMs).toBeLessThan(2200);
    const text = formatReport(report);
    expect(text).toMatch(/, 2\.0 s\n/);
    // The fan-out figures have their own, shorter window, and the report says which.
    expect(report.fanout.windowMs).toBeLessThan(2000);
    expect(text).toMatch(/over \d+\.\d s \(first send -> last delivery: after everyone joined, and sending stops before the deadline/);
  });
});
