// What the nodes keep in Redis is read as untrusted input: whoever can write to Redis can
// put anything in a key, and a node from an older or newer release may write another
// shape. Every record is checked against its schema; a record that fails is counted,
// logged without its content, and treated as absent (a registry entry as a dead node, a
// roster entry as no member, a resume record as an unknown token).
import { z } from 'zod';
import { displayName, roomName } from '../auth.js';
import { CHAT_MAX_CHARS, type ChatMessage } from '../protocol.js';
import type { NodeInfo, ResumeRecord, RosterEntry } from './types.js';

/** The kinds of record (the `record` label of rtc_redis_records_rejected_total). */
export type RecordKind = 'node' | 'roster' | 'resume' | 'chat';
export const RECORD_KINDS: readonly RecordKind[] = ['node', 'roster', 'resume', 'chat'];

const id = z.string().min(1).max(128);
const nodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
const ms = z.number().int().nonnegative();

const nodeInfo = z.object({
  id: nodeId,
  signalingUrl: z.string().max(2048),
  mediaAddress: z.string().max(256),
  participants: z.number().int().nonnegative(),
  cpu: z.number().nonnegative().max(1024),
  acceptingRooms: z.boolean(),
  heartbeatAt: ms,
}) satisfies z.ZodType<NodeInfo>;

const rosterEntry = z.object({
  participantId: id,
  identity: id,
  name: displayName,
  edgeNodeId: nodeId,
  joinedAt: ms,
}) satisfies z.ZodType<RosterEntry>;

/** PUT_ROSTER_ENTRY stores `{ expiresAt, entry }` (redisScripts.ts). */
const storedRosterField = z.object({ expiresAt: ms, entry: rosterEntry });

const resumeRecord = z.object({
  room: roomName,
  participantId: id,
  identity: id,
  name: displayName,
}) satisfies z.ZodType<ResumeRecord>;

const chatMessage = z.object({
  id,
  participantId: id,
  name: displayName,
  text: z.string().min(1).max(CHAT_MAX_CHARS),
  at: ms,
}) satisfies z.ZodType<ChatMessage>;

const SCHEMAS = { node: nodeInfo, roster: storedRosterField, resume: resumeRecord, chat: chatMessage };

interface Parsed {
  node: NodeInfo;
  roster: { expiresAt: number; entry: RosterEntry };
  resume: ResumeRecord;
  chat: ChatMessage;
}

/** The record in `json`, or undefined (and `rejected` is told) when it is not one. */
export function readRecord<K extends RecordKind>(kind: K, json: string, rejected: (kind: RecordKind) => void): Parsed[K] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    rejected(kind);
    return undefined;
  }
  const parsed = SCHEMAS[kind].safeParse(value);
  if (!parsed.success) {
    rejected(kind);
    return undefined;
  }
  return parsed.data as Parsed[K];
}
