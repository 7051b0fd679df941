// The SDP shape checks in front of the media engine: an offer is an SDP with a few m-lines;
// an answer answers the outstanding offer m-line for m-line, with the same mids.
import { describe, expect, it } from 'vitest';
import { answerProblem, MAX_OFFER_M_LINES, MAX_OFFER_M_LINES_CEILING, MAX_TRACKS_PER_PARTICIPANT, offerProblem, offerRefusal, publishedMids } from '../../signaling/sdpCheck.js';
import { PUBLISH_OFFER, sdpWith, type MLineSpec } from './fixtures/sdp.js';

describe('offerProblem', () => {
  it("accepts a browser-shaped offer with audio, video and data channels", () => {
    expect(offerProblem(PUBLISH_OFFER)).toBeUndefined();
  });

  it.each([
    ['a single letter', 'x'],
    ['text without a v=0 line', 'hello\r\nworld\r\n'],
    ['an SDP without m-lines', sdpWith()],
    ['an m-line without a port', 'v=0\r\nm=video\r\n'],
  ])('refuses %s', (_what, sdp) => {
    expect(offerProblem(sdp)).toEqual(expect.any(String));
  });

  it(`accepts ${MAX_OFFER_M_LINES} m-lines and refuses one more`, () => {
    const lines = (n: number): MLineSpec[] => Array.from({ length: n }, (_, i) => ['audio', String(i)]);
    expect(offerProblem(sdpWith(...lines(MAX_OFFER_M_LINES)), MAX_OFFER_M_LINES)).toBeUndefined();
    expect(offerProblem(sdpWith(...lines(MAX_OFFER_M_LINES + 1)), MAX_OFFER_M_LINES)).toMatch(/9 m-lines; at most 8/);
    expect(offerProblem(sdpWith(...lines(400)), MAX_OFFER_M_LINES)).toMatch(/400 m-lines/);
  });

  it(`refuses more than ${MAX_OFFER_M_LINES_CEILING} m-lines whatever the configuration`, () => {
    const lines = (n: number): MLineSpec[] => Array.from({ length: n }, (_, i) => ['audio', String(i)]);
    expect(offerProblem(sdpWith(...lines(MAX_OFFER_M_LINES_CEILING)))).toBeUndefined();
    expect(offerProblem(sdpWith(...lines(400)))).toMatch(/400 m-lines/);
  });
});

describe('offerRefusal', () => {
  const limits = { maxMLines: MAX_OFFER_M_LINES, maxTracks: MAX_TRACKS_PER_PARTICIPANT };
  const lines = (n: number): MLineSpec[] => Array.from({ length: n }, (_, i) => [i % 2 ? 'video' : 'audio', String(i)]);

  it('accepts a browser-shaped offer', () => {
    expect(offerRefusal(PUBLISH_OFFER, limits)).toBeUndefined();
  });

  it(`refuses a fifth track with TRACK_LIMIT, and too many m-lines with BAD_SDP`, () => {
    expect(offerRefusal(sdpWith(...lines(MAX_TRACKS_PER_PARTICIPANT)), limits)).toBeUndefined();
    expect(offerRefusal(sdpWith(...lines(MAX_TRACKS_PER_PARTICIPANT + 1)), limits)).toMatchObject({ code: 'TRACK_LIMIT', message: expect.stringMatching(/5 tracks; at most 4/) });
    expect(offerRefusal(sdpWith(...lines(400)), limits)).toMatchObject({ code: 'BAD_SDP', message: expect.stringMatching(/400 m-lines/) });
    expect(offerRefusal('x', limits)).toMatchObject({ code: 'BAD_SDP' });
  });

  it('does not count data channels or rejected m-lines as tracks', () => {
    const sdp = sdpWith(['audio', '0'], ['video', '1'], ['audio', '2'], ['video', '3'], ['application', '4'], ['video', '5', 0]);
    expect(offerRefusal(sdp, limits)).toBeUndefined();
    expect(publishedMids(sdp)).toEqual(['0', '1', '2', '3']);
  });
});

describe('answerProblem', () => {
  const offer = sdpWith(['audio', '0'], ['video', '1']);

  it('accepts an answer with the same m-lines and mids', () => {
    expect(answerProblem(offer, sdpWith(['audio', '0'], ['video', '1']))).toBeUndefined();
  });

  it('accepts a rejected m-line (port 0) without a mid', () => {
    expect(answerProblem(offer, sdpWith(['audio', '0'], ['video', undefined, 0]))).toBeUndefined();
  });

  it.each([
    ['`x`', 'x', /not an SDP/],
    ['an SDP without m-lines', sdpWith(), /0 m-lines; the offer has 2/],
    ['one m-line too few', sdpWith(['audio', '0']), /1 m-lines; the offer has 2/],
    ['one m-line too many', sdpWith(['audio', '0'], ['video', '1'], ['video', '2']), /3 m-lines/],
    ['the m-lines swapped', sdpWith(['video', '1'], ['audio', '0']), /m-line 0 is "video" in the answer, "audio" in the offer/],
    ['another mid', sdpWith(['audio', '0'], ['video', '7']), /m-line 1 has mid "7" in the answer, "1" in the offer/],
    ['a missing mid on an accepted m-line', sdpWith(['audio', '0'], ['video', undefined]), /m-line 1 has mid nothing/],
  ])('refuses %s', (_what, answer, problem) => {
    expect(answerProblem(offer, answer)).toMatch(problem);
  });

  it('quotes a mid from the answer only as a short preview', () => {
    const problem = answerProblem(offer, sdpWith(['audio', '0'], ['video', 'm'.repeat(10_000)]));
    expect(problem!.length).toBeLessThan(150);
  });
});
