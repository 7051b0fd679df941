// werift's DTLS client (the SFU's role) must survive a DTLS server that resends its flight 4
// late, as Chromium does when our flight 5 misses its retransmission timer: without the
// guard, werift re-runs its flight 5 with fresh keys and the data channels never open.
import { RTCDtlsTransport, RTCPeerConnection, type RTCDataChannel } from 'werift';
import { describe, expect, it } from 'vitest';
import { guardDtlsClients } from '../../server/sfu/dtlsClientGuard.js';
import { answerSfuOffer, gatheringComplete, offerAsDtlsClient, peerConnectionConfig, rewriteCandidates } from '../../server/sfu/rtcConfig.js';

const rtc = { portRange: undefined, listenIp: '127.0.0.1', announcedIp: undefined, iceTcp: false } as const;

/** DTLS record content types and the handshake types of the server's flight 4. */
const CHANGE_CIPHER_SPEC = 20;
const HANDSHAKE = 22;
const SERVER_FLIGHT_4 = new Set([2, 11, 12, 13, 14]);

/**
 * Makes `pc`'s DTLS server send its flight 4 a second time, right after its own
 * ChangeCipherSpec and Finished: the worst case of a browser's retransmission, where the
 * copy reaches the client after the handshake has completed.
 */
function resendFlight4AfterFinished(transport: RTCDtlsTransport): { resent: () => number } {
  let resent = 0;
  const start = transport.start.bind(transport);
  transport.start = () => {
    const started = start();
    const context = transport.dtls?.transport;
    if (!context) throw new Error('werift created no DTLS socket in start()');
    const send = context.send;
    const flight4: Buffer[] = [];
    // `send` is a readonly field in werift's types, a plain writable property at run time.
    (context as { send: typeof send }).send = (buf: Buffer, addr?: unknown) => {
      const sent = send(buf, addr as never);
      if (buf[0] === HANDSHAKE && buf.readUInt16BE(3) === 0 && SERVER_FLIGHT_4.has(buf[13] ?? -1)) flight4.push(Buffer.from(buf));
      if (buf[0] === CHANGE_CIPHER_SPEC && flight4.length > 0) {
        // The Finished follows in the same flight; queue the copy behind it.
        const copy = flight4.splice(0);
        setImmediate(() => {
          for (const b of copy) void send(b, addr as never);
          resent += copy.length;
        });
      }
      return sent;
    };
    return started;
  };
  return { resent: () => resent };
}

/** Resolves when `channel` opens; fails after 3 s (a re-keyed DTLS session never gets there). */
function opened(channel: RTCDataChannel, side: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${side}'s data channel did not open within 3 s`)), 3000);
    const open = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (channel.readyState === 'open') open();
    channel.stateChanged.subscribe((state) => state === 'open' && open());
  });
}

describe('DTLS client guard', () => {
  it('a data channel opens and carries messages both ways although the server resent its flight 4 after Finished', async () => {
    guardDtlsClients();
    const sfu = new RTCPeerConnection(peerConnectionConfig(rtc));
    const browser = new RTCPeerConnection(peerConnectionConfig(rtc));
    try {
      const channel = sfu.createDataChannel('probe');
      await sfu.setLocalDescription(await sfu.createOffer());
      await gatheringComplete(sfu);
      const remoteChannel = new Promise<RTCDataChannel>((resolve) => browser.onDataChannel.subscribe(resolve));

      await answerSfuOffer(browser, offerAsDtlsClient(rewriteCandidates(sfu.localDescription!.sdp, rtc)));
      const server = browser.dtlsTransports[0];
      if (!server) throw new Error('the answering peer has no DTLS transport');
      const retransmission = resendFlight4AfterFinished(server);
      await gatheringComplete(browser);
      await sfu.setRemoteDescription({ type: 'answer', sdp: rewriteCandidates(browser.localDescription!.sdp, rtc) });

      await opened(channel, 'SFU');
      const other = await remoteChannel;
      await opened(other, 'browser');
      expect(retransmission.resent()).toBeGreaterThan(0);

      const toBrowser = new Promise<string>((resolve) => other.onMessage.subscribe((m) => resolve(m.toString())));
      channel.send('from the SFU');
      expect(await toBrowser).toBe('from the SFU');
      const toSfu = new Promise<string>((resolve) => channel.onMessage.subscribe((m) => resolve(m.toString())));
      other.send('from the browser');
      expect(await toSfu).toBe('from the browser');
    } finally {
      await Promise.all([sfu.close(), browser.close()]);
    }
  });
});
