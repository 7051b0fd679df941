// The room service as a single node runs it: the cluster service over in-memory state (a
// cluster of one), hosting its rooms in a LocalRoomService. For unit tests of sessions.
import { ClusterRoomService } from '../../signaling/cluster/clusterRoomService.js';
import { MemoryClusterState } from '../../signaling/cluster/memoryState.js';
import { createLogger } from '../../signaling/log.js';
import type { RoomDirectory } from '../../signaling/room.js';
import { LocalRoomService } from '../../signaling/roomService.js';

export function singleNodeRoomService(rooms: RoomDirectory, resumeGraceMs: number, options: { impairmentEnabled?: boolean } = {}): ClusterRoomService {
  const service = new ClusterRoomService(
    new MemoryClusterState(),
    new LocalRoomService(rooms, resumeGraceMs, options),
    {
      nodeId: 'test-node',
      signalingUrl: 'http://localhost',
      mediaAddress: '127.0.0.1',
      nodeTtlMs: 5000,
      leaseTtlMs: 5000,
      beatIntervalMs: 250,
      deadAfterMs: 1000,
      requestTimeoutMs: 5000,
      resumeGraceMs,
      busSecret: 'unit-test-bus-secret-at-least-32-characters',
      cpu: () => 0,
    },
    createLogger('silent'),
  );
  // In memory, start() only subscribes and registers: it settles with the test's next await.
  void service.start();
  return service;
}
