// The parts of the Redis shape that need no server: how long it waits between reconnect
// attempts (never giving up), what a bad REDIS_URL says, and that a URL in a message never
// shows its password.
import { describe, expect, it } from 'vitest';
import { reconnectDelay, redactRedisUrl } from '../../signaling/cluster/redisState.js';
import { createClusterState } from '../../signaling/cluster/state.js';

describe('Redis reconnect policy', () => {
  it('waits a little longer after each failed attempt, at most 2 s, and never gives up', () => {
    expect([0, 1, 2, 9].map(reconnectDelay)).toEqual([100, 200, 300, 1000]);
    expect(reconnectDelay(19)).toBe(2000);
    expect(reconnectDelay(1_000_000)).toBe(2000);
  });
});

describe('Redis URL in messages', () => {
  it('hides the password and keeps where it points', () => {
    expect(redactRedisUrl('redis://user:s3cret@redis.internal:6380/2')).toBe('redis://user:***@redis.internal:6380/2');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url')).toBe('(unparseable URL)');
  });
});

describe('createClusterState with a bad REDIS_URL', () => {
  it('stops start-up with a message naming REDIS_URL', async () => {
    await expect(createClusterState({ redisUrl: 'http://redis.internal:6379' })).rejects.toThrow(/^REDIS_URL: .*not a valid Redis protocol/);
  });
});
