// The network path of one peer connection: the candidate pair ICE selected, its round
// trip, and what kind of path it is (UDP or TCP, direct or through a TURN relay).
import { millis, num, text, withoutUndefined, type StatsEntry, type StatsSnapshot } from './entries.js';

export interface TransportFigures {
  /** Round trip of ICE connectivity checks on the selected pair (currentRoundTripTime), ms. */
  rttMs?: number;
  /** Transport protocol of the local candidate: 'udp' or 'tcp'. */
  protocol?: string;
  /** host, srflx, prflx or relay. */
  localCandidateType?: string;
  remoteCandidateType?: string;
  /** Protocol between this browser and its TURN server (udp, tcp, tls), when relayed. */
  relayProtocol?: string;
  /** True when either end of the pair is a TURN relay. */
  relayed: boolean;
  /** The browser's estimate of the bandwidth it may send, kbps. */
  availableOutgoingKbps?: number;
  /** The ICE and DTLS state of the transport (RTCTransportStats), e.g. connected, disconnected, failed. */
  iceState?: string;
  dtlsState?: string;
}

/** Whether the path is down: ICE lost it (disconnected, failed) or DTLS failed or closed. */
export function transportDown(figures: TransportFigures | undefined): boolean {
  if (!figures) return false;
  return figures.iceState === 'disconnected' || figures.iceState === 'failed' || figures.dtlsState === 'failed' || figures.dtlsState === 'closed';
}

/**
 * The pair media flows over: the one a transport names as selected, else (Firefox, older
 * Chrome) one marked selected, else a nominated pair that succeeded, busiest first.
 */
export function selectedCandidatePair(snapshot: StatsSnapshot): StatsEntry | undefined {
  for (const transport of snapshot.ofType('transport')) {
    const pair = snapshot.get(transport.selectedCandidatePairId);
    if (pair) return pair;
  }
  const pairs = snapshot.ofType('candidate-pair');
  const flagged = pairs.find((p) => p.selected === true);
  if (flagged) return flagged;
  const usable = pairs.filter((p) => p.nominated === true && p.state === 'succeeded');
  const traffic = (p: StatsEntry): number => (num(p, 'bytesSent') ?? 0) + (num(p, 'bytesReceived') ?? 0);
  return usable.sort((a, b) => traffic(b) - traffic(a))[0];
}

/** The selected path's figures; undefined before ICE selected one. */
export function transportFigures(snapshot: StatsSnapshot): TransportFigures | undefined {
  const pair = selectedCandidatePair(snapshot);
  const transport = snapshot.ofType('transport')[0];
  const state = { iceState: text(transport, 'iceState'), dtlsState: text(transport, 'dtlsState') };
  // A path that went down can lose its selected pair: the state alone still says so.
  if (!pair) {
    const down = withoutUndefined<TransportFigures>({ relayed: false, ...state });
    return transportDown(down) ? down : undefined;
  }
  const local = snapshot.get(pair.localCandidateId);
  const remote = snapshot.get(pair.remoteCandidateId);
  const localCandidateType = text(local, 'candidateType');
  const remoteCandidateType = text(remote, 'candidateType');
  const outgoing = num(pair, 'availableOutgoingBitrate');
  const figures: TransportFigures = {
    rttMs: millis(pair, 'currentRoundTripTime'),
    protocol: text(local, 'protocol') ?? text(remote, 'protocol'),
    localCandidateType,
    remoteCandidateType,
    relayProtocol: localCandidateType === 'relay' ? text(local, 'relayProtocol') : undefined,
    relayed: localCandidateType === 'relay' || remoteCandidateType === 'relay',
    availableOutgoingKbps: outgoing === undefined ? undefined : outgoing / 1000,
    ...state,
  };
  return withoutUndefined(figures);
}
