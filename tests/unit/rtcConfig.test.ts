// The SFU's offered candidates: only the listen address, announced as configured, for
// UDP and ICE-TCP candidates alike.
import { describe, expect, it } from 'vitest';
import { peerConnectionConfig, rewriteCandidates } from '../../server/sfu/rtcConfig.js';

const SDP = [
  'v=0',
  'c=IN IP4 10.0.0.5',
  'a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host',
  'a=candidate:2 1 udp 2130706431 127.0.0.1 40001 typ host',
  'a=candidate:3 1 tcp 1671430143 10.0.0.5 40002 typ host tcptype passive',
  'a=candidate:4 1 tcp 1671430143 127.0.0.1 40003 typ host tcptype passive',
  'a=end-of-candidates',
  '',
].join('\r\n');

describe('rewriteCandidates', () => {
  it('keeps UDP and TCP candidates on the listen address only', () => {
    const out = rewriteCandidates(SDP, { portRange: undefined, listenIp: '127.0.0.1', announcedIp: undefined, iceTcp: true });
    expect(out.split('\r\n').filter((l) => l.startsWith('a=candidate:'))).toEqual([
      'a=candidate:2 1 udp 2130706431 127.0.0.1 40001 typ host',
      'a=candidate:4 1 tcp 1671430143 127.0.0.1 40003 typ host tcptype passive',
    ]);
  });

  it('writes the announced address into TCP candidates too', () => {
    const out = rewriteCandidates(SDP, { portRange: undefined, listenIp: '127.0.0.1', announcedIp: '203.0.113.7', iceTcp: true });
    expect(out).toContain('a=candidate:4 1 tcp 1671430143 203.0.113.7 40003 typ host tcptype passive');
    expect(out).toContain('c=IN IP4 203.0.113.7');
  });
});

describe('peerConnectionConfig', () => {
  it('turns ICE-TCP on and off with the option', () => {
    const base = { portRange: undefined, listenIp: undefined, announcedIp: undefined };
    expect(peerConnectionConfig({ ...base, iceTcp: true }).iceUseTcp).toBe(true);
    expect(peerConnectionConfig({ ...base, iceTcp: false }).iceUseTcp).toBe(false);
  });
});
