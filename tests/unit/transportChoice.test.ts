// The transport a person forces: which SFU candidates survive, and which ICE servers
// and policy the browser's peer connections get.
import { describe, expect, it } from 'vitest';
import { parsePageConfig } from '../../client/call/pageConfig.js';
import { filterCandidates, isTcpTurnUrl, parseTransportChoice, transportChoiceProblem, transportConfiguration, transportUnavailable } from '../../client/call/transportChoice.js';

const OFFER = [
  'v=0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host',
  'a=candidate:2 1 tcp 1671430143 127.0.0.1 40003 typ host tcptype passive',
  'a=candidate:3 1 tcp 1671430143 127.0.0.1 9 typ host tcptype active',
  'a=end-of-candidates',
  '',
].join('\r\n');

const candidates = (sdp: string): string[] => sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));

describe('filterCandidates', () => {
  it('Force UDP drops the TCP candidates, Force TCP the UDP ones', () => {
    expect(candidates(filterCandidates(OFFER, 'udp'))).toEqual(['a=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host']);
    expect(candidates(filterCandidates(OFFER, 'tcp'))).toEqual([
      'a=candidate:2 1 tcp 1671430143 127.0.0.1 40003 typ host tcptype passive',
      'a=candidate:3 1 tcp 1671430143 127.0.0.1 9 typ host tcptype active',
    ]);
  });

  it('Auto and TURN keep the SDP as it is, and other lines are never touched', () => {
    expect(filterCandidates(OFFER, 'auto')).toBe(OFFER);
    expect(filterCandidates(OFFER, 'turn')).toBe(OFFER);
    expect(filterCandidates(OFFER, 'tcp')).toContain('a=end-of-candidates\r\n');
  });
});

describe('transportConfiguration', () => {
  const servers = [
    { urls: ['turn:t.example:3478?transport=udp', 'turn:t.example:3478?transport=tcp'], username: 'u', credential: 'c' },
    { urls: ['stun:s.example:3478'] },
  ];

  it('Force TURN: relay only, through TCP TURN servers only', () => {
    expect(transportConfiguration(servers, 'turn')).toEqual({
      iceServers: [{ urls: ['turn:t.example:3478?transport=tcp'], username: 'u', credential: 'c' }],
      iceTransportPolicy: 'relay',
    });
  });

  it('Force UDP or TCP: a direct path, no ICE servers; Auto: all of them', () => {
    expect(transportConfiguration(servers, 'udp')).toEqual({ iceServers: [] });
    expect(transportConfiguration(servers, 'tcp')).toEqual({ iceServers: [] });
    expect(transportConfiguration(servers, 'auto').iceServers).toHaveLength(2);
  });

  it('says when TURN was forced but the server offers no TCP TURN server', () => {
    expect(transportChoiceProblem([{ urls: ['stun:s.example:3478'] }], 'turn')).toMatch(/no TURN server over TCP/);
    expect(transportChoiceProblem(servers, 'turn')).toBeUndefined();
    expect(transportChoiceProblem([], 'tcp')).toBeUndefined();
  });
});

describe('parsing the choice', () => {
  it('reads the URL parameter and falls back to auto', () => {
    expect(parseTransportChoice('tcp')).toBe('tcp');
    expect(parseTransportChoice('turn')).toBe('turn');
    expect(parseTransportChoice('TCP')).toBe('auto');
    expect(parseTransportChoice(null)).toBe('auto');
  });

  it('knows which TURN URLs are reached over TCP', () => {
    expect(isTcpTurnUrl('turn:h:3478?transport=tcp')).toBe(true);
    expect(isTcpTurnUrl('turns:h:443?transport=tcp')).toBe(true);
    expect(isTcpTurnUrl('turn:h:3478')).toBe(false);
    expect(isTcpTurnUrl('stun:h:3478')).toBe(false);
  });
});

describe('what the server can carry (GET /api/config)', () => {
  const none = { udp: true, iceTcp: false, turnTcp: false };

  it('a server without ICE-TCP or TURN offers Auto and UDP only, and says why the others are missing', () => {
    expect(transportUnavailable(none, 'auto')).toBeUndefined();
    expect(transportUnavailable(none, 'udp')).toBeUndefined();
    expect(transportUnavailable(none, 'tcp')).toMatch(/RTC_ICE_TCP/);
    expect(transportUnavailable(none, 'turn')).toMatch(/no TURN relay reachable over TCP/);
  });

  it('a server with both offers everything; without its answer every choice is offered', () => {
    for (const choice of ['auto', 'udp', 'tcp', 'turn'] as const) {
      expect(transportUnavailable({ udp: true, iceTcp: true, turnTcp: true }, choice)).toBeUndefined();
      expect(transportUnavailable(undefined, choice)).toBeUndefined();
    }
  });

  it('reads the answer, and refuses one of another shape', () => {
    expect(parsePageConfig({ engine: 'werift', transports: none })).toEqual({ engine: 'werift', transports: none });
    expect(parsePageConfig({ engine: 'werift', transports: { udp: true, iceTcp: 'yes', turnTcp: false } })).toBeUndefined();
    expect(parsePageConfig({ transports: none })).toBeUndefined();
    expect(parsePageConfig('nope')).toBeUndefined();
  });
});
