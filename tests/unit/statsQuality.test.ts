import { describe, expect, it } from 'vitest';
import type { ServerStreamStats } from '../../signaling/protocol.js';
import { classifyQuality, GOOD_QUALITY, limitingFigures, POOR_QUALITY, worst } from '../../client/call/stats/quality.js';
import { buildQualityReport, connectionFigures, serverFigures } from '../../client/call/stats/report.js';
import { publisherFirst, publisherSecond, REMOTE_PARTICIPANT, SUBSCRIBER_MIDS, subscriberFirst, subscriberSecond } from './fixtures/chromeStats.js';
import { edit, entry } from './fixtures/edit.js';

describe('the quality badge', () => {
  const healthy = { lossPercent: 0, rttMs: 5, jitterMs: 2, jitterBufferMs: 60, freezes: 0, fps: 25 };

  it('judges what a viewer sees: a 3 s jitter buffer, freezes or a low frame rate are never "good"', () => {
    expect(classifyQuality(healthy)).toBe('good');
    // Seen in issue 14 under "Good": a 3 s jitter buffer and freezes, on a clean network.
    expect(classifyQuality({ ...healthy, jitterBufferMs: 3000 })).toBe('poor');
    expect(classifyQuality({ ...healthy, freezes: 16 })).toBe('poor');
    expect(classifyQuality({ ...healthy, freezes: 1 })).toBe('fair');
    expect(classifyQuality({ ...healthy, jitterBufferMs: 250 })).toBe('fair');
    expect(classifyQuality({ ...healthy, jitterBufferMs: 400 })).toBe('poor');
    expect(classifyQuality({ ...healthy, fps: 14.9 })).toBe('fair');
    expect(classifyQuality({ ...healthy, fps: 15 })).toBe('good');
    expect(classifyQuality({ ...healthy, fps: 9.9 })).toBe('poor');
    expect(classifyQuality({ fps: 0 })).toBe('poor');
  });

  it('says "reconnecting" while the link is down, whatever was measured', () => {
    expect(classifyQuality({ ...healthy, down: true })).toBe('reconnecting');
    expect(classifyQuality({ down: true })).toBe('reconnecting');
    expect(classifyQuality({ down: false })).toBe('unknown');
  });

  it('names the figures that held the verdict back', () => {
    expect(limitingFigures(healthy)).toEqual([]);
    expect(limitingFigures({ ...healthy, freezes: 2, fps: 8, lossPercent: 3 })).toEqual(['lossPercent', 'freezes', 'fps']);
  });

  it('is good when loss, round trip and jitter are all below the good thresholds', () => {
    expect(classifyQuality({ lossPercent: 0, rttMs: 20, jitterMs: 3 })).toBe('good');
    expect(classifyQuality({ lossPercent: 1.99, rttMs: 149, jitterMs: 29.9 })).toBe('good');
  });

  it('is fair as soon as one figure reaches a good threshold, and poor once one reaches a poor threshold', () => {
    expect(classifyQuality({ lossPercent: GOOD_QUALITY.lossPercent, rttMs: 20, jitterMs: 3 })).toBe('fair');
    expect(classifyQuality({ lossPercent: 0, rttMs: GOOD_QUALITY.rttMs, jitterMs: 3 })).toBe('fair');
    expect(classifyQuality({ lossPercent: 0, rttMs: 20, jitterMs: GOOD_QUALITY.jitterMs })).toBe('fair');
    expect(classifyQuality({ lossPercent: POOR_QUALITY.lossPercent, rttMs: 20, jitterMs: 3 })).toBe('poor');
    expect(classifyQuality({ lossPercent: 0, rttMs: POOR_QUALITY.rttMs, jitterMs: 3 })).toBe('poor');
    expect(classifyQuality({ lossPercent: 0, rttMs: 20, jitterMs: POOR_QUALITY.jitterMs })).toBe('poor');
  });

  it('judges only what was measured, and is unknown when nothing was', () => {
    expect(classifyQuality({ rttMs: 30 })).toBe('good');
    expect(classifyQuality({ jitterMs: 80 })).toBe('poor');
    expect(classifyQuality({})).toBe('unknown');
  });

  it('documents thresholds where good is stricter than poor', () => {
    for (const key of ['lossPercent', 'rttMs', 'jitterMs', 'jitterBufferMs', 'freezes'] as const) expect(GOOD_QUALITY[key]).toBeLessThan(POOR_QUALITY[key]);
    expect(GOOD_QUALITY.fps).toBeGreaterThan(POOR_QUALITY.fps);
    expect(worst(undefined, 3, 1)).toBe(3);
    expect(worst(undefined)).toBeUndefined();
  });
});

const server: ServerStreamStats[] = [
  { direction: 'inbound', participantId: 'me', kind: 'audio', packets: 400, lossPercent: 0, jitterMs: 1.2, rttMs: null, impairmentDropped: 0 },
  { direction: 'inbound', participantId: 'me', kind: 'video', packets: 260, lossPercent: 0.5, jitterMs: 4, rttMs: null, impairmentDropped: 0 },
  { direction: 'outbound', participantId: REMOTE_PARTICIPANT, kind: 'video', packets: 240, lossPercent: 10, jitterMs: 6, rttMs: 2, impairmentDropped: 24 },
  { direction: 'outbound', participantId: 'someone-else', kind: 'audio', packets: 10, lossPercent: null, jitterMs: null, rttMs: null, impairmentDropped: 0 },
];

describe('the call report: uplink and one entry per remote participant', () => {
  const report = buildQualityReport({
    at: 1_700_000_000_000,
    publisher: connectionFigures(publisherFirst, publisherSecond),
    subscriber: connectionFigures(subscriberFirst, subscriberSecond),
    owners: { byMid: SUBSCRIBER_MIDS },
    server,
  });

  it("groups the subscriber's inbound streams by the participant their mid belongs to", () => {
    expect(report.remotes.map((r) => r.participantId)).toEqual([REMOTE_PARTICIPANT]);
    const remote = report.remotes[0];
    expect(remote?.audio?.kind).toBe('audio');
    expect(remote?.video?.kind).toBe('video');
    // The recording decodes 12 frames/s (the sender's bandwidth estimate was still ramping
    // up): what the viewer sees is jerky, whatever the network figures say.
    expect(remote).toMatchObject({ quality: 'fair', lossPercent: 0, rttMs: 1, fps: 12, freezes: 0, transport: { protocol: 'udp', relayed: false } });
    expect(remote?.jitterBufferMs).toBeCloseTo(44.2, 1);
  });

  it('judges jitter by the audio stream: video jitter on a perfect loopback path is already 37 ms', () => {
    const remote = report.remotes[0];
    expect(remote?.video?.jitterMs).toBeCloseTo(37, 6);
    expect(remote?.jitterMs).toBeCloseTo(1, 6);
    const videoOnly = subscriberSecond.filter((e) => e.id !== 'IT01A3101013992');
    const withoutAudio = buildQualityReport({ at: 0, subscriber: connectionFigures(subscriberFirst, videoOnly), owners: { byMid: SUBSCRIBER_MIDS }, server: [] });
    expect(withoutAudio.remotes[0]).toMatchObject({ jitterMs: 37, quality: 'fair' });
  });

  it('summarises the uplink from the outbound streams and the publisher transport', () => {
    expect(report.uplink?.video?.direction).toBe('outbound');
    const pair = entry(publisherSecond, 'CPWR6VRNPs_W2zmFMXY');
    expect(report.uplink).toMatchObject({ quality: 'good', lossPercent: 0, rttMs: (pair.currentRoundTripTime as number) * 1000 });
    expect(report.uplink?.jitterMs).toBe(report.uplink?.audio?.jitterMs);
    expect(report.server).toEqual(server);
  });

  it('judges a remote participant by the worse of its two streams', () => {
    const lossy = edit(subscriberSecond, 'IT01V3228574979', { packetsLost: 3 });
    const remote = buildQualityReport({ at: 0, subscriber: connectionFigures(subscriberFirst, lossy), owners: { byMid: SUBSCRIBER_MIDS }, server: [] }).remotes[0];
    expect(remote?.lossPercent).toBeCloseTo((3 / (3 + 19)) * 100, 6);
    expect(remote?.quality).toBe('poor');
  });

  it("judges the uplink by the receiver's fractionLost when it has one", () => {
    const lossy = edit(publisherSecond, 'RIA568567679', { fractionLost: 0.05 });
    const uplink = buildQualityReport({ at: 0, publisher: connectionFigures(publisherFirst, lossy), owners: { byMid: new Map() }, server: [] }).uplink;
    expect(uplink?.lossPercent).toBeCloseTo(5, 6);
    expect(uplink?.quality).toBe('fair');
  });

  it('finds the owner by track id when the stream has no mid, and drops streams nobody owns', () => {
    const noMid = edit(subscriberSecond, 'IT01A3101013992', { mid: undefined });
    const figures = connectionFigures(subscriberFirst, noMid);
    const byTrack = buildQualityReport({ at: 0, subscriber: figures, owners: { byMid: SUBSCRIBER_MIDS, byTrackId: new Map([['hResWZN8', 'p2']]) }, server: [] });
    expect(byTrack.remotes.map((r) => [r.participantId, r.audio?.kind, r.video?.kind])).toEqual([
      ['p2', 'audio', undefined],
      [REMOTE_PARTICIPANT, undefined, 'video'],
    ]);
    const unowned = buildQualityReport({ at: 0, subscriber: figures, owners: { byMid: new Map() }, server: [] });
    expect(unowned.remotes).toEqual([]);
  });

  it('counts the freezes of the interval, not since the stream started, and a frame rate only while the camera is on', () => {
    const frozenBefore = edit(subscriberFirst, 'IT01V3228574979', { freezeCount: 14, framesPerSecond: 25 });
    const frozenNow = edit(subscriberSecond, 'IT01V3228574979', { freezeCount: 16, totalFreezesDuration: 0.9, framesPerSecond: 25 });
    const figures = connectionFigures(frozenBefore, frozenNow);
    const remote = buildQualityReport({ at: 0, subscriber: figures, owners: { byMid: SUBSCRIBER_MIDS }, server: [] }).remotes[0];
    expect(remote).toMatchObject({ freezes: 2, quality: 'poor' });
    expect(remote?.video?.frozenMs).toBeCloseTo(900, 6);
    // Camera off: the black frames' rate (12 here) is not judged.
    const cameraOff = buildQualityReport({ at: 0, subscriber: connectionFigures(subscriberFirst, subscriberSecond), owners: { byMid: SUBSCRIBER_MIDS }, server: [], videoOff: { uplink: false, remotes: new Set([REMOTE_PARTICIPANT]) } }).remotes[0];
    expect(cameraOff).toMatchObject({ quality: 'good' });
    expect(cameraOff?.fps).toBeUndefined();
  });

  it('judges the uplink by what this page sends: the frame rate it encodes, unless its camera is off', () => {
    expect(report.uplink).toMatchObject({ quality: 'good', fps: 16 });
    const slow = edit(publisherSecond, 'OT01V1774561952', { framesPerSecond: 5 });
    expect(buildQualityReport({ at: 0, publisher: connectionFigures(publisherFirst, slow), owners: { byMid: new Map() }, server: [] }).uplink?.quality).toBe('poor');
    const off = buildQualityReport({ at: 0, publisher: connectionFigures(publisherFirst, slow), owners: { byMid: new Map() }, server: [], videoOff: { uplink: true, remotes: new Set() } }).uplink;
    expect(off).toMatchObject({ quality: 'good' });
    expect(off?.fps).toBeUndefined();
  });

  it('says "reconnecting" for every link of a connection whose ICE path is down', () => {
    const down = edit(subscriberSecond, 'T01', { iceState: 'disconnected' });
    const remote = buildQualityReport({ at: 0, subscriber: connectionFigures(subscriberFirst, down), owners: { byMid: SUBSCRIBER_MIDS }, server: [] }).remotes[0];
    expect(remote).toMatchObject({ quality: 'reconnecting', down: true });
    const failed = edit(publisherSecond, 'T01', { dtlsState: 'failed' });
    expect(buildQualityReport({ at: 0, publisher: connectionFigures(publisherFirst, failed), owners: { byMid: new Map() }, server: [] }).uplink?.quality).toBe('reconnecting');
  });

  it('leaves a screen share out of the uplink: its few frames a second are not the camera freezing', () => {
    // A share on mid 2: more bytes than the camera (so it would be picked as the video), 4 frames/s.
    const share = (entries: typeof publisherFirst, bytesSent: number) => {
      const camera = entries.find((e) => e.id === 'OT01V1774561952')!;
      return [...entries, { ...camera, id: 'OT01V99', ssrc: 99, mid: '2', remoteId: 'RIV99', bytesSent, framesPerSecond: 4 }];
    };
    const first = share(publisherFirst, 200_000);
    const second = share(publisherSecond, 400_000);
    const withShare = (screenMid?: string) => buildQualityReport({ at: 0, publisher: connectionFigures(first, second), owners: { byMid: new Map() }, server: [], screenMid }).uplink;
    expect(withShare()).toMatchObject({ quality: 'poor', fps: 4 });
    expect(withShare('2')).toMatchObject({ quality: 'good', fps: 16 });
  });

  it('has no uplink while nothing is sent', () => {
    const nothingSent = publisherSecond.filter((e) => e.type !== 'outbound-rtp');
    expect(buildQualityReport({ at: 0, publisher: connectionFigures(undefined, nothingSent), owners: { byMid: new Map() }, server: [] }).uplink).toBeUndefined();
  });
});

describe("what the server sees, beside the browser's figures", () => {
  it('are its inbound streams for the uplink', () => {
    expect(serverFigures(server, 'uplink')).toEqual({
      audio: { lossPercent: 0, jitterMs: 1.2, packets: 400, impairmentDropped: 0 },
      video: { lossPercent: 0.5, jitterMs: 4, packets: 260, impairmentDropped: 0 },
    });
  });

  it("are its outbound streams of that participant's tracks for a remote participant, with null read as not measured", () => {
    expect(serverFigures(server, { participantId: REMOTE_PARTICIPANT })).toEqual({
      video: { lossPercent: 10, jitterMs: 6, rttMs: 2, packets: 240, impairmentDropped: 24 },
    });
    expect(serverFigures(server, { participantId: 'someone-else' })).toEqual({ audio: { packets: 10, impairmentDropped: 0 } });
    expect(serverFigures(server, { participantId: 'nobody' })).toEqual({});
  });
});
