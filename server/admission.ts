// Who may open a signaling WebSocket, decided at the HTTP upgrade before a socket exists:
// pages of allowed origins only, and no more sockets than the global cap, the per-IP cap
// and the per-IP rate of new sockets allow. A refusal is an HTTP status with a JSON body.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export interface AdmissionLimits {
  /** Normalised origins (`https://host[:port]`) allowed besides the request's own Host. */
  allowedOrigins: readonly string[];
  maxSockets: number;
  maxSocketsPerIp: number;
  newSocketsPerIpPerSecond: number;
  newSocketsPerIpBurst: number;
  /** How many proxies in front of us append to X-Forwarded-For; 0: the peer address is the client. */
  trustProxyHops: number;
}

/** The `reason` label of rtc_ws_refused_total. */
export type RefusalReason = 'origin' | 'server_full' | 'ip_sockets' | 'ip_rate';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['origin', 'server_full', 'ip_sockets', 'ip_rate'];

export interface Refusal {
  reason: RefusalReason;
  status: 403 | 429 | 503;
  /** Stable code in the JSON body (PROTOCOL.md, Transport). */
  code: 'ORIGIN_NOT_ALLOWED' | 'SERVER_FULL' | 'TOO_MANY_SOCKETS' | 'TOO_MANY_NEW_SOCKETS';
  message: string;
  retryAfterSeconds?: number;
}

export type AdmissionDecision = { admitted: true; ip: string; release: () => void } | { admitted: false; refusal: Refusal };

interface IpState {
  sockets: number;
  /** Token bucket of new sockets. */
  tokens: number;
  at: number;
}

/** How often entries of addresses with no socket and a full bucket are forgotten. */
const SWEEP_MS = 10_000;

export class Admission {
  private readonly ips = new Map<string, IpState>();
  private total = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Sockets admitted and not yet released. */
  get sockets(): number {
    return this.total;
  }

  /** Addresses remembered (for tests: the map is bounded by the sweep). */
  get trackedAddresses(): number {
    return this.ips.size;
  }

  /** Decides on one upgrade request; an admitted socket must be released exactly once (extra calls are ignored). */
  admit(req: IncomingMessage): AdmissionDecision {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, req.headers.host)) {
      return { admitted: false, refusal: { reason: 'origin', status: 403, code: 'ORIGIN_NOT_ALLOWED', message: 'this origin may not open the signaling socket' } };
    }
    if (this.total >= this.limits.maxSockets) {
      return { admitted: false, refusal: { reason: 'server_full', status: 503, code: 'SERVER_FULL', message: 'this node holds its maximum of sockets; try another node or later', retryAfterSeconds: 5 } };
    }
    const ip = clientAddress(req, this.limits.trustProxyHops);
    const state = this.refill(ip);
    if (state.sockets >= this.limits.maxSocketsPerIp) {
      return { admitted: false, refusal: { reason: 'ip_sockets', status: 429, code: 'TOO_MANY_SOCKETS', message: `at most ${this.limits.maxSocketsPerIp} sockets per address`, retryAfterSeconds: 5 } };
    }
    if (state.tokens < 1) {
      const wait = Math.ceil((1 - state.tokens) / this.limits.newSocketsPerIpPerSecond);
      return { admitted: false, refusal: { reason: 'ip_rate', status: 429, code: 'TOO_MANY_NEW_SOCKETS', message: `at most ${this.limits.newSocketsPerIpPerSecond} new sockets per second per address`, retryAfterSeconds: Math.max(1, wait) } };
    }
    state.tokens -= 1;
    state.sockets += 1;
    this.total += 1;
    let released = false;
    return {
      admitted: true,
      ip,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        // The sweep never forgets an address with open sockets, so this is still the map's entry.
        state.sockets -= 1;
      },
    };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (sandboxed frames, file://) and anything unreadable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (this.limits.allowedOrigins.includes(url.origin)) return true;
    // The server's own origin: the page came from the host the socket is opened to. The
    // scheme may differ behind a TLS-terminating proxy; the host and port may not.
    if (host === undefined) return false;
    try {
      return new URL(`${url.protocol}//${host}`).host === url.host;
    } catch {
      return false;
    }
  }

  private refill(ip: string): IpState {
    const now = this.now();
    let state = this.ips.get(ip);
    if (!state) {
      state = { sockets: 0, tokens: this.limits.newSocketsPerIpBurst, at: now };
      this.ips.set(ip, state);
      return state;
    }
    state.tokens = Math.min(this.limits.newSocketsPerIpBurst, state.tokens + ((now - state.at) / 1000) * this.limits.newSocketsPerIpPerSecond);
    state.at = now;
    return state;
  }

  private sweep(): void {
    const now = this.now();
    for (const [ip, state] of this.ips) {
      const tokens = state.tokens + ((now - state.at) / 1000) * this.limits.newSocketsPerIpPerSecond;
      if (state.sockets <= 0 && tokens >= this.limits.newSocketsPerIpBurst) this.ips.delete(ip);
    }
  }
}

/**
 * The address a socket is counted against. With `trustProxyHops` n, the nth address from
 * the right of X-Forwarded-For plus the peer (what the nth proxy saw), so entries a client
 * wrote itself further left are ignored. IPv6 addresses count by their /64, the block one
 * subscriber gets.
 */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket?.remoteAddress ?? 'unknown';
  let address = peer;
  if (trustProxyHops > 0) {
    const header = req.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const chain = [...forwarded, peer];
    const candidate = chain[Math.max(0, chain.length - 1 - trustProxyHops)]!;
    if (isIP(candidate) !== 0) address = candidate;
  }
  return addressKey(address);
}

/** IPv4 (also IPv4-mapped IPv6) as is; other IPv6 as its /64 prefix. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::') as [string?, string?];
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  // A dotted IPv4 tail (`64:ff9b::192.0.2.1`) stands for two groups.
  const rightGroups = right.length + (right.at(-1)?.includes('.') ? 1 : 0);
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - rightGroups)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
