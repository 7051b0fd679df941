// Resume tokens across the cluster (signaling/cluster/resumeRecords.ts): a token brings its
// participant back, on any node, while its socket lives and for a grace period after, and
// only for the room and identity it was issued for. Time is the memory backend's clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResumeRecords } from '../../signaling/cluster/resumeRecords.js';
import type { ResumeRecord } from '../../signaling/cluster/types.js';
import { memoryCluster } from '../helpers/memoryCluster.js';

/** What the cluster gives a record: RESUME_GRACE_MS plus NODE_TTL_MS. */
const TTL_MS = 30_000 + 5_000;
const ada: ResumeRecord = { room: 'demo', participantId: 'p-ada', identity: 'ada', name: 'Ada' };
const bob: ResumeRecord = { room: 'demo', participantId: 'p-bob', identity: 'bob', name: 'Bob' };

let cluster: ReturnType<typeof memoryCluster>;
/** The resume records of two nodes sharing one backend. */
let onA: ResumeRecords;
let onB: ResumeRecords;

beforeEach(() => {
  cluster = memoryCluster();
  onA = new ResumeRecords(cluster.state('node-a').resume, TTL_MS);
  onB = new ResumeRecords(cluster.state('node-b').resume, TTL_MS);
});
afterEach(() => cluster.close());

/** `ms` of heartbeats on `nodes`, four to a TTL, as the cluster service runs them. */
async function heartbeatsFor(ms: number, ...nodes: ResumeRecords[]): Promise<void> {
  for (let t = 0; t < ms; t += TTL_MS / 4) {
    cluster.elapse(TTL_MS / 4);
    for (const n of nodes) await n.refresh();
  }
}

describe('a resume token', () => {
  it('brings its participant back on any node until the grace period after its socket went, and not after', async () => {
    const token = await onA.issue(ada, undefined);
    onA.release(ada.participantId);
    cluster.elapse(TTL_MS - 1);
    expect(await onB.resumes(token, 'demo', 'ada')).toBe('p-ada');
    cluster.elapse(1);
    expect(await onB.resumes(token, 'demo', 'ada')).toBeUndefined();
  });

  it('resumes nobody when presented for another room or by another identity', async () => {
    const token = await onA.issue(ada, undefined);
    expect(await onA.resumes(token, 'other-room', 'ada')).toBeUndefined();
    expect(await onA.resumes(token, 'demo', 'bob')).toBeUndefined();
    expect(await onA.resumes(token, 'demo', 'ada')).toBe('p-ada');
  });

  it('stays resumable as long as the node holding its socket refreshes it', async () => {
    const token = await onA.issue(ada, undefined);
    await heartbeatsFor(10 * TTL_MS, onA);
    expect(await onB.resumes(token, 'demo', 'ada')).toBe('p-ada');
  });

  it('is no longer refreshed once released, so it ends a grace period later although its node still beats', async () => {
    const adaToken = await onA.issue(ada, undefined);
    const bobToken = await onA.issue(bob, undefined);
    onA.release(ada.participantId);
    await heartbeatsFor(TTL_MS, onA);
    expect(await onA.resumes(adaToken, 'demo', 'ada')).toBeUndefined();
    expect(await onA.resumes(bobToken, 'demo', 'bob')).toBe('p-bob');
  });

  it('resumes nobody once its participant left for good, at once', async () => {
    const adaToken = await onA.issue(ada, undefined);
    const bobToken = await onA.issue(bob, undefined);
    await onA.end(ada.participantId);
    expect(await onA.resumes(adaToken, 'demo', 'ada')).toBeUndefined();
    expect(await onA.resumes(bobToken, 'demo', 'bob')).toBe('p-bob');
  });

  it('that already expired is not brought back by a later refresh', async () => {
    const token = await onA.issue(ada, undefined);
    cluster.elapse(TTL_MS);
    await onA.refresh();
    expect(await onA.resumes(token, 'demo', 'ada')).toBeUndefined();
  });

  it('is kept by a socket that resumed with it, and refreshed from then on by that socket\u2019s node', async () => {
    const token = await onA.issue(ada, undefined);
    // The socket moved to node B; node A hands it over.
    expect(await onB.issue(ada, token)).toBe(token);
    onA.release(ada.participantId);
    await heartbeatsFor(10 * TTL_MS, onA, onB);
    expect(await onA.resumes(token, 'demo', 'ada')).toBe('p-ada');
    await onB.end(ada.participantId);
    expect(await onA.resumes(token, 'demo', 'ada')).toBeUndefined();
  });

  it('is new and long enough not to be guessed for each socket that joins afresh', async () => {
    const first = await onA.issue(ada, undefined);
    const second = await onA.issue(bob, undefined);
    expect(first).not.toBe(second);
    for (const token of [first, second]) expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });
});
