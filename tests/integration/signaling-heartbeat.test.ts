// Heartbeats end sessions whose peer vanished without a close: the server pings every
// interval and terminates a socket that did not answer the previous ping.
import { describe, it, expect } from 'vitest';
import { useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom, within } from '../helpers/wsClient.js';

const HEARTBEAT_MS = 200;
/** Two intervals is the promise; the rest is room for a busy machine, kept below a third interval. */
const GONE_WITHIN_MS = 2 * HEARTBEAT_MS + 150;

const fixture = useSignalingServer({ HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
const { clients } = fixture;

describe('heartbeat', () => {
  it('tells clients the interval in the join result', async () => {
    const room = freshRoom();
    const { result } = await clients.joined(signedToken({ room }), room);
    expect(result.heartbeatMs).toBe(HEARTBEAT_MS);
  });

  it('a peer that stops answering pings is removed within two intervals, and the others see "timeout"', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada' }), room);
    const silent = await clients.joined(signedToken({ room, name: 'Silent' }), room, { autoPong: false });
    await ada.client.nextEvent('participant-joined');

    const left = await ada.client.nextEvent('participant-left', GONE_WITHIN_MS);
    expect(left).toEqual({ type: 'participant-left', participantId: silent.result.participantId, reason: 'timeout' });
    // Terminated, not closed: the silent client sees the connection drop without a close frame.
    expect((await within(silent.client.closed, 1_000, 'silent client closed')).code).toBe(1006);
  });

  it('a peer that answers pings stays, interval after interval', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada' }), room);
    const bob = await clients.joined(signedToken({ room, name: 'Bob' }), room);
    await ada.client.noEvent('participant-left', 5 * HEARTBEAT_MS);
    expect(await bob.client.request({ type: 'ping' })).toMatchObject({ ok: true });
  });

  it('pongs that do not echo the server\'s ping keep nobody alive: a client that never reads but sends pongs is terminated', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada' }), room);
    const faker = await clients.joined(signedToken({ room, name: 'Faker' }), room, { autoPong: false });
    await ada.client.nextEvent('participant-joined');
    // Unsolicited pongs, faster than the heartbeat, with a payload of its own choosing.
    const pongs = setInterval(() => faker.client.socket.pong(Buffer.from('alive')), HEARTBEAT_MS / 4);
    try {
      const left = await ada.client.nextEvent('participant-left', GONE_WITHIN_MS);
      expect(left).toEqual({ type: 'participant-left', participantId: faker.result.participantId, reason: 'timeout' });
      expect((await within(faker.client.closed, 1_000, 'faker closed')).code).toBe(1006);
    } finally {
      clearInterval(pongs);
    }
  });

  it('a socket that never joined is also terminated when it stops answering pings', async () => {
    const client = await clients.connect({ autoPong: false });
    expect((await within(client.closed, GONE_WITHIN_MS, 'silent socket terminated')).code).toBe(1006);
  });
});
