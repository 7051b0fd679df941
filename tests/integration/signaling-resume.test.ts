// Resume: a participant whose socket vanishes keeps its place for the grace period; coming
// back with its resume token, it continues as the same participant and nobody else sees
// a leave or a join. After the grace period it is gone, and the others see it leave.
// A resume with a token that grants something else starts a new participant instead.
import { describe, expect, it } from 'vitest';
import { SHAPES, useSignalingServer } from '../helpers/signalingServer.js';
import { signedToken } from '../helpers/tokens.js';
import { freshRoom } from '../helpers/wsClient.js';
import { PUBLISH_OFFER } from '../unit/fixtures/sdp.js';

const GRACE_MS = 3000;

describe.each(SHAPES)('session resume, %s', (shape) => {
  const fixture = useSignalingServer({ RESUME_GRACE_MS: String(GRACE_MS) }, shape);
  const { clients } = fixture;

  it('a dropped participant that resumes within the grace period keeps its identity; others see nothing', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bobToken = signedToken({ room, name: 'Bob', identity: 'bob' });
    const bob = await clients.joined(bobToken, room);
    await ada.client.nextEvent('participant-joined');

    bob.client.terminate();
    await bob.client.closed;
    // Away for 2 s, then back (in the cluster shape, on another node).
    await ada.client.noEvent('participant-left', 2000);
    const again = await clients.connect();
    const resumed = await again.request({ type: 'join', token: bobToken, room, resume: bob.result.resumeToken });
    expect(resumed).toMatchObject({ ok: true, result: { participantId: bob.result.participantId, resumed: true } });
    if (!resumed.ok) throw new Error('resume refused');
    expect((resumed.result as { participants: { id: string }[] }).participants.map((p) => p.id)).toEqual([ada.result.participantId]);

    // Well past the grace period: Ada never saw Bob leave or join again.
    await ada.client.noEvent('participant-left', GRACE_MS - 2000 + 500);
    await ada.client.noEvent('participant-joined', 0);
    // The resumed socket works like the first one.
    await again.request({ type: 'mute', kind: 'audio', muted: true });
    expect((await ada.client.nextEvent('participant-updated')).participant).toMatchObject({ id: bob.result.participantId, muted: { audio: true } });
  });

  it('a dropped participant that does not come back leaves when the grace period ends', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bob = await clients.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    await ada.client.nextEvent('participant-joined');
    const dropped = Date.now();
    bob.client.terminate();
    const left = await ada.client.nextEvent('participant-left', GRACE_MS + 2000);
    expect(left).toMatchObject({ participantId: bob.result.participantId, reason: 'disconnected' });
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(GRACE_MS - 100);
  });

  it('a resume with a token that grants less is a fresh join under that token: the others see a replacement, and publishing is refused', async () => {
    const room = freshRoom();
    const ada = await clients.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bob = await clients.joined(signedToken({ room, name: 'Bob', identity: 'bob' }), room);
    await ada.client.nextEvent('participant-joined');
    bob.client.terminate();
    await bob.client.closed;

    const viewer = signedToken({ room, name: 'Bob', identity: 'bob', grants: { publish: false, subscribe: true } });
    const again = await clients.connect();
    const resumed = await again.request({ type: 'join', token: viewer, room, resume: bob.result.resumeToken });
    expect(resumed).toMatchObject({ ok: true, result: { resumed: false, grants: { publish: false } } });
    if (!resumed.ok) throw new Error('join refused');
    const newId = (resumed.result as { participantId: string }).participantId;
    expect(newId).not.toBe(bob.result.participantId);
    // The others see the old participant replaced by the new one, not a silent upgrade.
    expect(await ada.client.nextEvent('participant-left')).toMatchObject({ participantId: bob.result.participantId, reason: 'replaced' });
    expect((await ada.client.nextEvent('participant-joined')).participant).toMatchObject({ id: newId });
    const publish = await again.request({ type: 'publish', sdp: PUBLISH_OFFER });
    expect(publish).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('a resume token is worthless to another identity or after the participant left', async () => {
    const room = freshRoom();
    await clients.joined(signedToken({ room, name: 'Ada', identity: 'ada' }), room);
    const bobToken = signedToken({ room, name: 'Bob', identity: 'bob' });
    const bob = await clients.joined(bobToken, room);

    const eve = await clients.connect();
    const stolen = await eve.request({ type: 'join', token: signedToken({ room, name: 'Eve', identity: 'eve' }), room, resume: bob.result.resumeToken });
    expect(stolen).toMatchObject({ ok: true, result: { resumed: false } });
    if (stolen.ok) expect((stolen.result as { participantId: string }).participantId).not.toBe(bob.result.participantId);

    await bob.client.request({ type: 'leave' });
    await bob.client.closed;
    const late = await clients.connect();
    const after = await late.request({ type: 'join', token: bobToken, room, resume: bob.result.resumeToken });
    expect(after).toMatchObject({ ok: true, result: { resumed: false } });
  });
});
