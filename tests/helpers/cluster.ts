// Several real server processes sharing one real Redis: the cluster shape of the tests.
import { createClient } from 'redis';
import { startRedis, type RedisHandle } from './redis.js';
import { startServer, type ServerHandle } from './serverProcess.js';

export interface ClusterHandle {
  redis: RedisHandle;
  nodes: ServerHandle[];
  stop(): Promise<void>;
}

/** Short liveness and lease times, so failover tests finish in seconds. */
export const FAST_CLUSTER_ENV = { NODE_TTL_MS: '3000', LEASE_TTL_MS: '3000' };

export async function startCluster(count: number, env: Record<string, string> = {}, options: { spawnRedis?: boolean } = {}): Promise<ClusterHandle> {
  const redis = await startRedis({ spawn: options.spawnRedis ?? false });
  await redis.flush();
  const nodes: ServerHandle[] = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startServer({ REDIS_URL: redis.url, NODE_ID: `node-${i + 1}`, ...FAST_CLUSTER_ENV, ...env }));
    }
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await redis.stop();
    throw err;
  }
  return {
    redis,
    nodes,
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await redis.stop();
    },
  };
}

/** The index in `cluster.nodes` of the node that owns `room` (its lease in Redis, `rtc:room:<room>:owner`). */
export async function ownerIndex(cluster: ClusterHandle, room: string): Promise<number> {
  const redis = createClient({ url: cluster.redis.url });
  await redis.connect();
  try {
    const owner = await redis.get(`rtc:room:${room}:owner`);
    const index = owner?.match(/^node-(\d+)$/) ? Number(owner.slice('node-'.length)) - 1 : -1;
    if (!cluster.nodes[index]) throw new Error(`room ${room} has no owner among the cluster's nodes (lease: ${owner ?? 'none'})`);
    return index;
  } finally {
    await redis.quit();
  }
}
