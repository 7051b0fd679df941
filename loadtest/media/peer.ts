// What the headless media peers share: the signaling they need (two requests and the
// stream of offers), werift options that keep them on one local address, and waiting
// for a peer connection to come up.
import type { RTCPeerConnection } from 'werift';
import type { RtcOptions } from '../../server/sfu/rtcConfig.js';

/**
 * The part of the signaling protocol a media peer uses (signaling/PROTOCOL.md, Media
 * negotiation). The loadtest's bots and the bench's test clients both provide it.
 */
export interface MediaSignaling {
  /** Sends `publish` or `answer` with an SDP; resolves with the result, rejects with an Error whose message is the error code. */
  request(type: 'publish' | 'answer', sdp: string, timeoutMs: number): Promise<unknown>;
  /**
   * The oldest offer for the subscriber connection not yet taken, waiting for one if
   * none is buffered; undefined once the socket is gone. Offers must be buffered from the
   * join on: the first can arrive right behind the join response.
   */
  nextOffer(): Promise<string | undefined>;
}

/** Whether an Error's message is already a stable media failure code (`media:...`, `timeout:...`, `aborted`). */
export function isMediaErrorCode(message: string): boolean {
  return /^(media:|timeout:|aborted$)/.test(message);
}

/** Peers bind and offer only `ip` (by default loopback): the options the server gets from RTC_LISTEN_IP. */
export function localRtcOptions(ip = '127.0.0.1'): RtcOptions {
  return { portRange: undefined, listenIp: ip, announcedIp: undefined, iceTcp: false };
}

/** Resolves once the connection state is 'connected'; rejects on 'failed'/'closed' or after the timeout. */
export function connected(pc: RTCPeerConnection, what: string, timeoutMs: number): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: not connected within ${timeoutMs} ms (${pc.connectionState})`)), timeoutMs);
    const sub = pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') finish();
      else if (state === 'failed' || state === 'closed') finish(new Error(`${what}: connection ${state}`));
    });
    function finish(err?: Error): void {
      clearTimeout(timer);
      sub.unSubscribe();
      if (err) reject(err);
      else resolve();
    }
  });
}
