// How many media connections (werift peer connections, mediasoup WebRTC transports) this
// node serves at once. Past the budget a join is refused with MEDIA_CAPACITY, instead of
// being answered `ok` and then getting SDP without candidates once the ports ran out.
// A participant reserves what it will need when it joins: one connection to publish on
// (with the publish grant) and one to receive on (with the subscribe grant).
import { networkInterfaces } from 'node:os';
import { MediaRefusedError } from '../../signaling/mediaRefusal.js';
import { ErrorCode } from '../../signaling/protocol.js';
import type { Grants } from '../../signaling/auth.js';
import type { RtcOptions } from './rtcConfig.js';

/** A participant's share of the budget; release() is idempotent. */
export interface ConnectionLease {
  readonly connections: number;
  release(): void;
}

export class ConnectionBudget {
  /** Counts for metrics: kept current here. */
  constructor(
    readonly capacity: number,
    private readonly counts: { inUse: number; budget: number } = { inUse: 0, budget: 0 },
  ) {
    counts.budget = capacity;
    counts.inUse = 0;
  }

  get inUse(): number {
    return this.counts.inUse;
  }

  /** Reserves the connections a participant with `grants` needs; throws MediaRefusedError(MEDIA_CAPACITY) when they are not there. */
  reserve(grants: Grants): ConnectionLease {
    const connections = connectionsFor(grants);
    if (this.counts.inUse + connections > this.capacity) {
      throw new MediaRefusedError(ErrorCode.MediaCapacity, `this node serves at most ${this.capacity} media connections and ${this.counts.inUse} are in use`);
    }
    this.counts.inUse += connections;
    let released = false;
    return {
      connections,
      release: () => {
        if (released) return;
        released = true;
        this.counts.inUse -= connections;
      },
    };
  }
}

/** Connections a participant needs: a publisher connection and a subscriber connection, as its grants allow. */
export function connectionsFor(grants: Grants): number {
  return (grants.publish ? 1 : 0) + (grants.subscribe ? 1 : 0);
}

/**
 * werift binds one UDP port from RTC_MIN_PORT..RTC_MAX_PORT for each address it gathers on
 * (one with RTC_LISTEN_IP, else every non-internal IPv4 interface), so the port range
 * caps its connections too; ICE-TCP listens on TCP ports, another space.
 */
export function weriftCapacity(rtc: RtcOptions, maxConnections: number, interfaceAddresses = hostIpv4Count()): number {
  if (!rtc.portRange) return maxConnections;
  const ports = rtc.portRange[1] - rtc.portRange[0] + 1;
  const perConnection = rtc.listenIp ? 1 : Math.max(1, interfaceAddresses);
  return Math.min(maxConnections, Math.floor(ports / perConnection));
}

function hostIpv4Count(): number {
  let n = 0;
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (/^(ipsec|tun|utun|tap|vmnet|veth)/.test(name)) continue;
    for (const a of list ?? []) if (!a.internal && (a.family === 'IPv4' || (a.family as unknown) === 4)) n++;
  }
  return n;
}
