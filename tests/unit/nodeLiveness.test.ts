// Which peers are dead, as one node judges: a peer silent on the bus is dead only once its
// connections to shared state are gone (paused peers keep their rooms); a peer the registry
// no longer lists is dead once it is missing twice in a row.
import { afterEach, describe, expect, it } from 'vitest';
import { beatFor, DEAD_AFTER_MS, livenessOf, memoryCluster, recordingLog } from '../helpers/memoryCluster.js';

let cluster: ReturnType<typeof memoryCluster>;

afterEach(async () => {
  await cluster.close();
});

describe('NodeLiveness', () => {
  it('a silent peer whose connections are gone is dead, judged by beats', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a');
    const b = livenessOf(cluster, 'b');
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await b.state.close();
    await beatFor(cluster, [a.liveness], DEAD_AFTER_MS - 250);
    expect(a.deaths).toEqual([]);
    await beatFor(cluster, [a.liveness], 500);
    expect(a.deaths[0]).toEqual({ dead: ['b'], judgedBy: 'beats' });
    expect(a.liveness.isDead('b')).toBe(true);
  });

  it('a peer silent on the bus but still connected is paused: not dead, logged once', async () => {
    cluster = memoryCluster();
    const { log, lines } = recordingLog();
    const a = livenessOf(cluster, 'a', { log });
    const b = livenessOf(cluster, 'b');
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await beatFor(cluster, [a.liveness], 3 * DEAD_AFTER_MS);
    expect(a.deaths).toEqual([]);
    expect(a.liveness.isSilent('b')).toBe(true);
    expect(a.liveness.isDead('b')).toBe(false);
    expect(lines.filter((l) => l.peer === 'b' && String(l.msg).includes('judged paused'))).toHaveLength(1);
  });

  it('a paused peer that beats again is neither silent nor dead', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a');
    const b = livenessOf(cluster, 'b');
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await beatFor(cluster, [a.liveness], 2 * DEAD_AFTER_MS);
    await beatFor(cluster, [a.liveness, b.liveness], 500);
    expect(a.liveness.isSilent('b')).toBe(false);
    expect(a.deaths).toEqual([]);
  });

  it('where the store cannot list its clients, silence alone judges (and says so once)', async () => {
    cluster = memoryCluster();
    const { log, lines } = recordingLog();
    const a = livenessOf(cluster, 'a', { log });
    const b = livenessOf(cluster, 'b');
    a.state.nodes.connected = async () => undefined;
    await Promise.all([a.liveness.start(), b.liveness.start()]);
    await beatFor(cluster, [a.liveness, b.liveness], 1000);
    await beatFor(cluster, [a.liveness], 3 * DEAD_AFTER_MS);
    expect(a.deaths[0]).toEqual({ dead: ['b'], judgedBy: 'beats' });
    expect(lines.filter((l) => String(l.msg).includes('CLIENT LIST'))).toHaveLength(1);
  });

  it('a peer in use missing from the registry twice in a row is dead; once is only a suspect; this node never is', async () => {
    cluster = memoryCluster();
    // 'a' is in use as the edge of its own members, and not registered yet.
    const a = livenessOf(cluster, 'a', { peersInUse: () => ['gone', 'a'] });
    await a.liveness.watchPeers();
    expect(a.deaths).toEqual([]);
    await a.liveness.watchPeers();
    expect(a.deaths).toEqual([{ dead: ['gone'], judgedBy: 'registry' }]);
  });

  it('a peer back in the registry at the second check is not dead', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a', { peersInUse: () => ['late'] });
    const late = livenessOf(cluster, 'late');
    await a.liveness.watchPeers();
    await late.liveness.heartbeat();
    await a.liveness.watchPeers();
    expect(a.deaths).toEqual([]);
  });

  it('just after shared state came back, absence from the registry proves nothing', async () => {
    cluster = memoryCluster();
    const since = cluster.now();
    const a = livenessOf(cluster, 'a', { peersInUse: () => ['gone'], healthySince: () => since });
    await a.liveness.watchPeers();
    await a.liveness.watchPeers();
    expect(a.deaths).toEqual([]);
  });

  it('its heartbeat registers this node with its load, stamped with the time', async () => {
    cluster = memoryCluster();
    const a = livenessOf(cluster, 'a', { self: () => ({ id: 'a', signalingUrl: 'http://a', mediaAddress: '10.0.0.1', participants: 7, cpu: 0.5, acceptingRooms: false }) });
    await a.liveness.heartbeat();
    expect(await a.state.nodes.get('a')).toEqual({ id: 'a', signalingUrl: 'http://a', mediaAddress: '10.0.0.1', participants: 7, cpu: 0.5, acceptingRooms: false, heartbeatAt: cluster.now() });
  });
});
