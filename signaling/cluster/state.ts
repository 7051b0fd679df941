// The one place that decides between one node and many: Redis when a URL is configured,
// in-process memory otherwise. Nothing else asks "am I clustered?".
import type { Logger } from '../log.js';
import { MemoryClusterState } from './memoryState.js';
import type { RecordKind } from './records.js';
import { RedisClusterState } from './redisState.js';
import type { ClusterState } from './types.js';

export interface ClusterStateOptions {
  /** From REDIS_URL; unset means a single node with in-memory state. */
  redisUrl?: string;
  log?: Logger;
  /** How long start-up waits for Redis to answer (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Told of each Redis record that fails its schema (records.ts). */
  onRecordRejected?: (kind: RecordKind) => void;
  /** The node these connections belong to: peers can see whether its process still holds them. */
  nodeId?: string;
}

export async function createClusterState(opts: ClusterStateOptions): Promise<ClusterState> {
  if (!opts.redisUrl) return new MemoryClusterState(undefined, { ...(opts.log ? { log: opts.log } : {}), ...(opts.nodeId ? { nodeId: opts.nodeId } : {}) });
  try {
    return await RedisClusterState.connect(opts.redisUrl, { log: opts.log, connectTimeoutMs: opts.connectTimeoutMs ?? 5000, ...(opts.nodeId ? { nodeId: opts.nodeId } : {}), ...(opts.onRecordRejected ? { onRecordRejected: opts.onRecordRejected } : {}) });
  } catch (err) {
    // Start-up stops here; say which setting to look at.
    throw new Error(`REDIS_URL: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
