// A guard in front of werift 0.25's ICE agent. werift acts on every STUN request that
// reaches a connection's socket before checking who sent it: it answers it, learns the
// sender as a peer-reflexive candidate, starts checks towards it, and on ICE-CONTROLLED /
// ICE-CONTROLLING even switches its own role. Anyone who can send a UDP packet to a media
// port could do that. RFC 8445 7.3 says a request whose USERNAME or MESSAGE-INTEGRITY does
// not check out gets no such treatment, so the guard drops it (and counts it) before
// werift sees it, and caps how many peer-reflexive candidates one connection learns
// (ICE_MAX_LEARNED_CANDIDATES). mediasoup checks both itself and learns nothing
// unauthenticated.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Connection } from 'werift';

/** STUN (RFC 8489): header, magic cookie, attribute types. */
const HEADER_BYTES = 20;
const MAGIC_COOKIE = 0x2112a442;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const HMAC_BYTES = 20;

export type IceDropReason = 'integrity' | 'learned';

export interface IceTotals {
  dropped: Record<IceDropReason, number>;
}

export function newIceTotals(): IceTotals {
  return { dropped: { integrity: 0, learned: 0 } };
}

/** What a connection accepts requests with: its ufrags (current and earlier, after an ICE restart) and their passwords. */
export type LocalCredentials = (ufrag: string) => string | undefined;

/**
 * Whether a STUN request carries a USERNAME whose first part is one of our ufrags and a
 * MESSAGE-INTEGRITY made with that ufrag's password (short-term credentials, RFC 8489 9.1).
 */
export function requestAuthenticated(data: Buffer, passwordOf: LocalCredentials): boolean {
  if (data.length < HEADER_BYTES || data.readUInt32BE(4) !== MAGIC_COOKIE) return false;
  const declared = data.readUInt16BE(2);
  if (HEADER_BYTES + declared > data.length) return false;
  let username: string | undefined;
  for (let pos = HEADER_BYTES; pos + 4 <= HEADER_BYTES + declared; ) {
    const type = data.readUInt16BE(pos);
    const length = data.readUInt16BE(pos + 2);
    const value = pos + 4;
    if (value + length > HEADER_BYTES + declared) return false;
    if (type === ATTR_USERNAME) username = data.toString('utf8', value, value + length);
    if (type === ATTR_MESSAGE_INTEGRITY) {
      if (length !== HMAC_BYTES || username === undefined) return false;
      const password = passwordOf(username.split(':')[0] ?? '');
      if (password === undefined) return false;
      // The HMAC covers the message up to this attribute, with the length field counting through it.
      const covered = Buffer.from(data.subarray(0, pos));
      covered.writeUInt16BE(pos + 4 + HMAC_BYTES - HEADER_BYTES, 2);
      const expected = createHmac('sha1', password).update(covered).digest();
      return timingSafeEqual(expected, data.subarray(value, value + HMAC_BYTES));
    }
    pos = value + length + ((4 - (length % 4)) % 4);
  }
  return false;
}

interface GuardOptions {
  maxLearnedCandidates: number;
  totals: IceTotals;
}

interface RequestEvent {
  execute: (msg: unknown, addr: readonly [string, number], data: Buffer) => void;
}

interface ConnectionInternals {
  localUsername: string;
  localPassword: string;
  userHistory: Record<string, string | undefined>;
  remoteCandidates: { host: string; port: number; type: string }[];
  ensureProtocol(protocol: { onRequestReceived: RequestEvent }): void;
}

let options: GuardOptions | undefined;

/** Installs the guard for every ICE connection werift creates from now on in this process; later calls only update the options. */
export function guardIceRequests(next: GuardOptions): void {
  const first = options === undefined;
  options = next;
  if (!first) return;
  const proto = Connection.prototype as unknown as ConnectionInternals;
  const ensureProtocol = proto.ensureProtocol;
  if (typeof ensureProtocol !== 'function') throw new Error('werift changed: no Connection.ensureProtocol to guard ICE requests in');
  proto.ensureProtocol = function ensureProtocolGuarded(this: ConnectionInternals, protocol): void {
    const event = protocol.onRequestReceived;
    const execute = event.execute;
    event.execute = (msg, addr, data) => {
      if (admitRequest(this, addr, data)) execute(msg, addr, data);
    };
    ensureProtocol.call(this, protocol);
  };
}

function admitRequest(connection: ConnectionInternals, addr: readonly [string, number], data: Buffer): boolean {
  const guard = options;
  if (!guard) return true;
  const passwordOf: LocalCredentials = (ufrag) => (ufrag === connection.localUsername ? connection.localPassword : connection.userHistory[ufrag]);
  if (!Buffer.isBuffer(data) || !requestAuthenticated(data, passwordOf)) {
    guard.totals.dropped.integrity++;
    return false;
  }
  const [host, port] = addr;
  const candidates = connection.remoteCandidates;
  if (candidates.some((c) => c.host === host && c.port === port)) return true;
  if (candidates.filter((c) => c.type === 'prflx').length >= guard.maxLearnedCandidates) {
    guard.totals.dropped.learned++;
    return false;
  }
  return true;
}
