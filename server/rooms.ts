// Rooms on one node and on many are the same code: the cluster room service. The one
// switch point is the state behind it (signaling/cluster/state.ts): in-process memory
// without REDIS_URL (a cluster of one), Redis with it. Nothing else asks which.
import { randomBytes } from 'node:crypto';
import type { BusRejection } from '../signaling/cluster/busMessages.js';
import type { RecordKind } from '../signaling/cluster/records.js';
import { ClusterRoomService } from '../signaling/cluster/clusterRoomService.js';
import { createClusterState } from '../signaling/cluster/state.js';
import type { ClusterState } from '../signaling/cluster/types.js';
import type { Logger } from '../signaling/log.js';
import type { MediaPlane } from '../signaling/media.js';
import { RoomDirectory } from '../signaling/room.js';
import { LocalRoomService, type RoomService } from '../signaling/roomService.js';
import type { Config } from './config.js';

export interface Rooms {
  service: RoomService;
  nodeId: string;
  /** Ready for new calls: in a cluster, only while Redis answers. */
  healthy(): boolean;
  /** Graceful shutdown, step 1: take no new rooms; move the rooms we own elsewhere. */
  drain(): Promise<void>;
}

/** `impairmentEnabled`: SFU_IMPAIRMENT with an engine that can impair; the room's owner checks it. */
export async function createRooms(config: Config, media: MediaPlane, log: Logger, options: { impairmentEnabled: boolean; onBusRejected?: (reason: BusRejection) => void; onRecordRejected?: (kind: RecordKind) => void }): Promise<Rooms> {
  const nodeId = config.cluster.nodeId ?? `node-${randomBytes(4).toString('hex')}`;
  const local = new LocalRoomService(new RoomDirectory(media, config.maxParticipantsPerRoom, log), config.resumeGraceMs, { impairmentEnabled: options.impairmentEnabled });
  const state: ClusterState = await createClusterState({ redisUrl: config.cluster.redisUrl, log, nodeId, ...(options.onRecordRejected ? { onRecordRejected: options.onRecordRejected } : {}) });
  state.onHealthChange((healthy) => log[healthy ? 'info' : 'warn'](healthy ? 'redis available again' : 'redis unavailable: new joins fail until it returns', { node: nodeId }));
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const cluster = new ClusterRoomService(
    state,
    local,
    {
      nodeId,
      signalingUrl: config.cluster.publicUrl ?? `http://localhost:${config.port}`,
      mediaAddress: config.rtc.announcedIp ?? config.rtc.listenIp ?? '',
      nodeTtlMs: config.cluster.nodeTtlMs,
      leaseTtlMs: config.cluster.leaseTtlMs,
      beatIntervalMs: config.cluster.beatIntervalMs,
      deadAfterMs: config.cluster.deadAfterMs,
      requestTimeoutMs: 5000,
      resumeGraceMs: config.resumeGraceMs,
      busSecret: config.jwtSecret,
      ...(options.onBusRejected ? { onBusRejected: options.onBusRejected } : {}),
      cpu: () => {
        const now = performance.now();
        const used = process.cpuUsage(lastCpu);
        const share = (used.user + used.system) / 1000 / Math.max(1, now - lastAt);
        lastCpu = process.cpuUsage();
        lastAt = now;
        return share;
      },
    },
    log,
  );
  await cluster.start();
  if (state.kind === 'redis') log.info('cluster mode', { node: nodeId });
  return { service: cluster, nodeId, healthy: () => state.healthy(), drain: () => cluster.drain() };
}
