// How the SFU's peer connections are set up: codecs and feedback we negotiate, which
// addresses and ports ICE may use, and the candidates we announce.
import {
  useAbsSendTime,
  useFIR,
  useNACK,
  useOPUS,
  usePLI,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  useVP8,
  type RTCPeerConnection,
  type RTCPeerConnectionConfig,
} from 'werift';

export interface RtcOptions {
  /** UDP ports for ICE, inclusive. */
  portRange: [number, number] | undefined;
  /** Only this local address is offered (and sockets bind to it). */
  listenIp: string | undefined;
  /** Address written into offered candidates instead of the local one (NAT, containers). */
  announcedIp: string | undefined;
  /** Also offer passive TCP host candidates (ICE-TCP), for clients whose UDP is blocked. */
  iceTcp: boolean;
}

export function peerConnectionConfig(opts: RtcOptions): RTCPeerConnectionConfig {
  const feedback = [useNACK(), usePLI(), useFIR(), useTWCC()];
  return {
    // The default list names a public STUN server; the SFU needs none (it is the far end).
    iceServers: [],
    // One transport for all m-lines; werift's default ('max-compat') gives each m-line
    // its own ICE and DTLS transport and leaves the unused ones bound.
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    iceUseTcp: opts.iceTcp,
    icePortRange: opts.portRange,
    iceInterfaceAddresses: opts.listenIp ? { udp4: opts.listenIp } : undefined,
    iceAdditionalHostAddresses: opts.listenIp ? [opts.listenIp] : undefined,
    codecs: {
      audio: [useOPUS()],
      video: [useVP8({ rtcpFeedback: feedback })],
    },
    headerExtensions: {
      audio: [useSdesMid()],
      video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
    },
  };
}

/**
 * Keeps only the candidates on the listen address (werift gathers every interface) and
 * writes the announced address into them.
 */
export function rewriteCandidates(sdp: string, opts: RtcOptions): string {
  if (!opts.listenIp && !opts.announcedIp) return sdp;
  const lines = sdp.split('\r\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('a=candidate:')) {
      const parts = line.split(' ');
      // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
      // (the same for UDP and TCP: `... tcp <priority> <address> <port> typ host tcptype passive`)
      const address = parts[4];
      if (opts.listenIp && address !== opts.listenIp) continue;
      if (opts.announcedIp) parts[4] = opts.announcedIp;
      out.push(parts.join(' '));
      continue;
    }
    if (opts.announcedIp && line.startsWith('c=IN IP4 ')) {
      out.push(`c=IN IP4 ${opts.announcedIp}`);
      continue;
    }
    out.push(line);
  }
  return out.join('\r\n');
}

/** Resolves once ICE gathering is complete: this protocol sends full SDPs, no trickle. */
export function gatheringComplete(pc: RTCPeerConnection, timeoutMs = 5000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}

/**
 * The SFU's offers (the subscriber connections) ask to be the DTLS client
 * (`a=setup:active` where werift writes `actpass`), so the browser answers `passive` and
 * runs the DTLS server. Why: werift 0.25's DTLS server mishandles a client that resends
 * its second flight while the first copy is still being processed (it hashes both into
 * the handshake, derives other keys and sends a Finished the browser cannot verify; the
 * connection then stays in DTLS `connecting` for good). Chromium resends after ~50 ms on
 * loopback, so on a busy machine this hit about one ICE-TCP call in five. werift's DTLS
 * client ignores such duplicates. RFC 8842 lets an offerer say `active`; the same role
 * is then kept in every later offer, as it must be.
 */
export function offerAsDtlsClient(sdp: string): string {
  return sdp.replaceAll('a=setup:actpass', 'a=setup:active');
}

/**
 * Answers one of the SFU's offers on a werift peer (bots and tests) and applies the answer.
 * werift answers `active` whatever the offer says, so an `active` offer (see
 * offerAsDtlsClient) gets its answer turned to `passive` before it is applied; werift then
 * runs the DTLS server, as the answer says.
 */
export async function answerSfuOffer(pc: RTCPeerConnection, offerSdp: string): Promise<void> {
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  const answer = await pc.createAnswer();
  const sdp = offerSdp.includes('a=setup:active') ? answer.sdp.replaceAll('a=setup:active', 'a=setup:passive') : answer.sdp;
  await pc.setLocalDescription({ type: 'answer', sdp });
}
