// Resume tokens of the sockets alive on this node. A token's record in shared state lives
// while its socket does and a grace period after, so a client whose connection dropped can
// come back on any node: this node refreshes the records of its sockets with every
// heartbeat, and stops when the socket ends or is handed to another node (which refreshes
// it from then on).
import { newResumeToken } from '../roomService.js';
import type { ResumeRecord, ResumeTokens } from './types.js';

export class ResumeRecords {
  /** By participant id: the token this node refreshes and what it gives back. */
  private readonly live = new Map<string, { token: string; record: ResumeRecord }>();

  constructor(
    private readonly tokens: ResumeTokens,
    /** RESUME_GRACE_MS plus NODE_TTL_MS: a crashed node's records outlive the grace period of their sockets. */
    private readonly ttlMs: number,
  ) {}

  /** The participant a token resumes, if it was issued for this room and identity. */
  async resumes(token: string | undefined, room: string, identity: string): Promise<string | undefined> {
    if (!token) return undefined;
    const record = await this.tokens.get(token);
    return record && record.room === room && record.identity === identity ? record.participantId : undefined;
  }

  /** A socket joined: its token (the one it resumed with, or a new one) is kept and refreshed. */
  async issue(record: ResumeRecord, resumedWith: string | undefined): Promise<string> {
    const token = resumedWith ?? newResumeToken();
    this.live.set(record.participantId, { token, record });
    await this.tokens.put(token, record, this.ttlMs);
    return token;
  }

  /** No longer refreshed here: the record expires when the grace period is over. */
  release(participantId: string): void {
    this.live.delete(participantId);
  }

  /** The participant left for good: its token goes now. */
  async end(participantId: string): Promise<void> {
    const resume = this.live.get(participantId);
    this.live.delete(participantId);
    if (resume) await this.tokens.delete(resume.token).catch(() => undefined);
  }

  /** Extends every record of a socket alive here. */
  async refresh(): Promise<void> {
    await this.tokens.extend(
      Array.from(this.live.values(), (r) => r.token),
      this.ttlMs,
    );
  }
}
