// The SFU's offered candidates: only the listen address, announced as configured, for
// UDP and ICE-TCP candidates alike; and the DTLS role the SFU asks for in its offers.
import { RTCPeerConnection } from 'werift';
import { describe, expect, it } from 'vitest';
import { answerSfuOffer, gatheringComplete, offerAsDtlsClient, peerConnectionConfig, rewriteCandidates } from '../../server/sfu/rtcConfig.js';

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

describe('DTLS roles on the connections the SFU offers', () => {
  it('the SFU offers to be the DTLS client, and a werift peer answering it as server connects', async () => {
    const rtc = { portRange: undefined, listenIp: '127.0.0.1', announcedIp: undefined, iceTcp: false } as const;
    const sfu = new RTCPeerConnection(peerConnectionConfig(rtc));
    const peer = new RTCPeerConnection(peerConnectionConfig(rtc));
    try {
      sfu.addTransceiver('video', { direction: 'sendonly' });
      await sfu.setLocalDescription(await sfu.createOffer());
      await gatheringComplete(sfu);
      const offer = offerAsDtlsClient(rewriteCandidates(sfu.localDescription!.sdp, rtc));
      expect(offer).toContain('a=setup:active');
      expect(offer).not.toContain('a=setup:actpass');

      await answerSfuOffer(peer, offer);
      await gatheringComplete(peer);
      const answer = rewriteCandidates(peer.localDescription!.sdp, rtc);
      expect(answer).toContain('a=setup:passive');
      await sfu.setRemoteDescription({ type: 'answer', sdp: answer });

      const connected = (pc: RTCPeerConnection): Promise<void> =>
        new Promise((resolve) => {
          if (pc.connectionState === 'connected') resolve();
          pc.connectionStateChange.subscribe((state) => state === 'connected' && resolve());
        });
      await Promise.all([connected(sfu), connected(peer)]);
      expect(sfu.dtlsTransports[0]?.role).toBe('client');
      expect(peer.dtlsTransports[0]?.role).toBe('server');
    } finally {
      await Promise.all([sfu.close(), peer.close()]);
    }
  });
});
