// werift's ICE agent, guarded (server/sfu/iceGuard.ts): a STUN Binding request whose
// USERNAME or MESSAGE-INTEGRITY does not check out is dropped before werift answers it,
// learns a candidate from it or flips its ICE role; and one connection learns at most
// ICE_MAX_LEARNED_CANDIDATES peer-reflexive candidates. The packets are built by hand.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Candidate, Connection, parseMessage } from 'werift';
import { guardIceRequests, newIceTotals, requestAuthenticated } from '../../server/sfu/iceGuard.js';

const MAGIC_COOKIE = 0x2112a442;

interface Attr {
  type: number;
  value: Buffer;
}

function attr(type: number, value: Buffer): Attr {
  return { type, value };
}

function encodeAttrs(attrs: Attr[]): Buffer {
  return Buffer.concat(
    attrs.map(({ type, value }) => {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(type, 0);
      head.writeUInt16BE(value.length, 2);
      return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    }),
  );
}

function header(length: number, transactionId: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x0001, 0); // Binding request
  h.writeUInt16BE(length, 2);
  h.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(h, 8);
  return h;
}

/** A Binding request as a browser sends one: USERNAME, PRIORITY, a role attribute, MESSAGE-INTEGRITY with `password`. */
function bindingRequest(opts: { username: string; password: string | undefined; role?: 'controlled' | 'controlling'; tieBreaker?: bigint }): Buffer {
  const transactionId = Buffer.from('0123456789ab');
  const attrs: Attr[] = [attr(0x0006, Buffer.from(opts.username, 'utf8'))];
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(1853824767, 0);
  attrs.push(attr(0x0024, priority));
  if (opts.role) {
    const tb = Buffer.alloc(8);
    tb.writeBigUInt64BE(opts.tieBreaker ?? 0n, 0);
    attrs.push(attr(opts.role === 'controlled' ? 0x8029 : 0x802a, tb));
  }
  const body = encodeAttrs(attrs);
  if (opts.password === undefined) return Buffer.concat([header(body.length, transactionId), body]);
  const upToIntegrity = Buffer.concat([header(body.length + 24, transactionId), body]);
  const hmac = createHmac('sha1', opts.password).update(upToIntegrity).digest();
  return Buffer.concat([upToIntegrity, encodeAttrs([attr(0x0008, hmac)])]);
}

const LOCAL = { ufrag: 'sfuU', password: 'sfu-password-0123456789' };
const passwordOf = (ufrag: string): string | undefined => (ufrag === LOCAL.ufrag ? LOCAL.password : undefined);

describe('requestAuthenticated', () => {
  it('accepts a request signed with our password for our ufrag', () => {
    expect(requestAuthenticated(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password }), passwordOf)).toBe(true);
  });

  it.each([
    ['a wrong MESSAGE-INTEGRITY', bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: 'not-the-password' })],
    ['no MESSAGE-INTEGRITY', bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: undefined })],
    ["a USERNAME that is not our ufrag", bindingRequest({ username: 'someoneElse:peer', password: LOCAL.password })],
    ['a truncated packet', bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password }).subarray(0, 30)],
    ['random bytes', Buffer.from('00010010aaaaaaaabbbbbbbbbbbbbbbbbbbbbbbb', 'hex')],
  ])('refuses %s', (_what, packet) => {
    expect(requestAuthenticated(packet, passwordOf)).toBe(false);
  });
});

/** A werift ICE connection with one fake UDP socket; returns what it sent and lets a test deliver requests. */
function guardedConnection(maxLearnedCandidates: number) {
  const totals = newIceTotals();
  guardIceRequests({ maxLearnedCandidates, totals });
  const connection = new Connection(false, {});
  Object.assign(connection, { localUsername: LOCAL.ufrag, localPassword: LOCAL.password, remoteUsername: 'peer', remotePassword: 'peer-password-0123456789' });
  // Past the early-check stage, as once the remote description is set.
  Object.assign(connection, { earlyChecksDone: true });
  const sent: unknown[] = [];
  const handlers: ((...args: unknown[]) => void)[] = [];
  const onRequestReceived = {
    execute: (...args: unknown[]) => {
      for (const h of handlers) h(...args);
    },
    subscribe: (h: (...args: unknown[]) => void) => {
      handlers.push(h);
      return { unSubscribe: () => undefined };
    },
  };
  const quiet = { subscribe: () => ({ unSubscribe: () => undefined }), execute: () => undefined };
  const protocol = {
    onRequestReceived,
    onDataReceived: quiet,
    localCandidate: new Candidate('1', 1, 'udp', 2130706431, '127.0.0.1', 40000, 'host'),
    sendStun: async (message: unknown) => {
      sent.push(message);
    },
    request: () => new Promise(() => undefined),
    sendData: async () => undefined,
  };
  (connection as unknown as { ensureProtocol(p: unknown): void }).ensureProtocol(protocol);
  const deliver = (packet: Buffer, port = 50000): void => {
    const message = parseMessage(packet);
    if (!message) throw new Error('the test built a packet werift cannot parse');
    protocol.onRequestReceived.execute(message, ['127.0.0.1', port], packet);
  };
  return { connection, sent, deliver, totals };
}

describe('the ICE guard on a werift connection', () => {
  it('drops a request with a wrong MESSAGE-INTEGRITY: no answer, no learned candidate, no role change', () => {
    const { connection, sent, deliver, totals } = guardedConnection(8);
    deliver(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: 'forged', role: 'controlled', tieBreaker: 0n }));
    expect(sent).toHaveLength(0);
    expect(connection.remoteCandidates).toHaveLength(0);
    expect(connection.iceControlling).toBe(false);
    expect(totals.dropped.integrity).toBe(1);
  });

  it('lets a correctly signed request through to werift (which then does act on it)', () => {
    const { connection, sent, deliver, totals } = guardedConnection(8);
    deliver(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password }));
    expect(sent).toHaveLength(1);
    expect(connection.remoteCandidates.map((c) => c.type)).toEqual(['prflx']);
    expect(totals.dropped.integrity).toBe(0);
    // The role conflict werift resolves by switching, here from a genuine peer.
    deliver(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password, role: 'controlled', tieBreaker: 0n }));
    expect(connection.iceControlling).toBe(true);
  });

  it('learns at most ICE_MAX_LEARNED_CANDIDATES peer-reflexive candidates, and still answers known ones', () => {
    const { connection, sent, deliver, totals } = guardedConnection(3);
    for (let port = 50000; port < 50010; port++) deliver(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password }), port);
    expect(connection.remoteCandidates).toHaveLength(3);
    expect(totals.dropped.learned).toBe(7);
    deliver(bindingRequest({ username: `${LOCAL.ufrag}:peer`, password: LOCAL.password }), 50001);
    expect(sent).toHaveLength(4);
  });
});
