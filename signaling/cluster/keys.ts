// Every Redis key and channel the cluster uses, under one prefix. Each is a named
// function with a line saying what it holds.
export const KEY_PREFIX = 'rtc:';

export const Keys = {
  /** Hash of node id to its NodeInfo JSON; entries are pruned by their heartbeat age. */
  nodes: (): string => `${KEY_PREFIX}nodes`,
  /** String with TTL: the node's liveness; gone when the node stops heartbeating. */
  nodeAlive: (nodeId: string): string => `${KEY_PREFIX}node:${nodeId}:alive`,
  /** String with TTL: id of the node that owns the room's media (its lease). */
  roomOwner: (room: string): string => `${KEY_PREFIX}room:${room}:owner`,
  /** Hash of participant id to RosterEntry JSON, with a TTL refreshed while the room lives. */
  roomRoster: (room: string): string => `${KEY_PREFIX}room:${room}:roster`,
  /** List of ChatMessage JSON, oldest first, trimmed to CHAT_HISTORY, with a TTL from the last message. */
  roomChat: (room: string): string => `${KEY_PREFIX}room:${room}:chat`,
  /** String with TTL: a resume token's ResumeRecord JSON. */
  resume: (token: string): string => `${KEY_PREFIX}resume:${token}`,
  /** Pub/sub channel: messages for one node (relayed signaling requests and events). */
  nodeChannel: (nodeId: string): string => `${KEY_PREFIX}chan:node:${nodeId}`,
  /** Pub/sub channel every node reads: each node's beats, from which peers judge it alive. */
  beats: (): string => `${KEY_PREFIX}chan:beats`,
  /** Not a key: the CLIENT SETNAME of a node's Redis connections, so peers can see whether its process still holds them. */
  connectionName: (nodeId: string): string => `${KEY_PREFIX}node:${nodeId}`,
} as const;
