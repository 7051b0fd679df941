// Which network path the media may take: whatever ICE finds best (auto), or one forced
// kind of path, for trying a network or comparing paths. Forcing works on both ends of
// ICE: candidates of the other transport are removed from the SFU's SDP before it is
// applied and from ours before it is sent (otherwise the SFU's checks to our UDP
// candidates find a UDP path anyway), and TURN is forced with a relay-only policy and
// TCP TURN servers only.
import { isTcpTurnUrl, type PageConfig } from '../../signaling/pageConfig.js';
import type { IceServer } from '../../signaling/protocol.js';
import { rtcConfiguration } from './ice.js';

export { isTcpTurnUrl };

export type TransportChoice = 'auto' | 'udp' | 'tcp' | 'turn';

export const TRANSPORT_CHOICES: readonly { value: TransportChoice; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'udp', label: 'Force UDP' },
  { value: 'tcp', label: 'Force TCP (ICE-TCP)' },
  { value: 'turn', label: 'Force TURN over TCP' },
];

/** Reads `transport=auto|udp|tcp|turn`; anything else is auto. */
export function parseTransportChoice(value: string | null | undefined): TransportChoice {
  return TRANSPORT_CHOICES.find((c) => c.value === value)?.value ?? 'auto';
}

/** The peer connections' configuration for a choice. */
export function transportConfiguration(iceServers: readonly IceServer[], choice: TransportChoice): RTCConfiguration {
  switch (choice) {
    case 'auto':
      return rtcConfiguration(iceServers);
    case 'udp':
    case 'tcp':
      // A direct path was asked for: no relay candidates to compete with it.
      return rtcConfiguration([]);
    case 'turn': {
      const tcpTurn = iceServers.map((s) => ({ ...s, urls: s.urls.filter(isTcpTurnUrl) })).filter((s) => s.urls.length > 0);
      return { ...rtcConfiguration(tcpTurn), iceTransportPolicy: 'relay' };
    }
  }
}

/**
 * An SDP (the SFU's or ours) with only the candidates the choice allows: UDP drops TCP
 * candidates, TCP drops UDP ones. Auto and TURN keep them all (a relay reaches the SFU's
 * UDP ones; a relay-only browser offers nothing else).
 */
export function filterCandidates(sdp: string, choice: TransportChoice): string {
  if (choice !== 'udp' && choice !== 'tcp') return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      // a=candidate:<foundation> <component> <transport> ...
      const transport = line.split(' ')[2]?.toLowerCase();
      return transport === choice;
    })
    .join(eol);
}

/** Whether the choice can work with these ICE servers (TURN needs a TCP TURN server). */
export function transportChoiceProblem(iceServers: readonly IceServer[], choice: TransportChoice): string | undefined {
  if (choice !== 'turn') return undefined;
  return iceServers.some((s) => s.urls.some(isTcpTurnUrl)) ? undefined : 'This server offers no TURN server over TCP: the call cannot be relayed.';
}

/**
 * Why this server cannot carry `choice` (from GET /api/config), or undefined when it can.
 * Without the server's answer (an older server, a failed request) every choice is offered.
 */
export function transportUnavailable(transports: PageConfig['transports'] | undefined, choice: TransportChoice): string | undefined {
  if (!transports) return undefined;
  switch (choice) {
    case 'auto':
      return undefined;
    case 'udp':
      return transports.udp ? undefined : 'This server takes no media over UDP.';
    case 'tcp':
      return transports.iceTcp ? undefined : 'This server takes no direct TCP connections for media (it runs without RTC_ICE_TCP).';
    case 'turn':
      return transports.turnTcp ? undefined : 'This server has no TURN relay reachable over TCP (none configured in TURN_URLS).';
  }
}
