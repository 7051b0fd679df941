// Admission decisions on upgrade requests, with a fake clock: origins, the global and
// per-address socket caps, the per-address token bucket, and which address counts.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Admission, addressKey, clientAddress, type AdmissionLimits } from '../../server/admission.js';

function request(headers: Record<string, string> = {}, remoteAddress = '192.0.2.1'): IncomingMessage {
  return { headers: { host: 'call.example.org', ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const LIMITS: AdmissionLimits = { allowedOrigins: ['https://app.example.com'], maxSockets: 100, maxSocketsPerIp: 3, newSocketsPerIpPerSecond: 2, newSocketsPerIpBurst: 4, trustProxyHops: 0 };
const made: Admission[] = [];
function admission(limits: Partial<AdmissionLimits> = {}, clock = { t: 0 }): Admission {
  const a = new Admission({ ...LIMITS, ...limits }, () => clock.t);
  made.push(a);
  return a;
}
afterEach(() => {
  for (const a of made.splice(0)) a.close();
});

describe('Admission: origins', () => {
  it.each([
    ['no Origin (a non-browser client)', {}, true],
    ['its own origin', { origin: 'https://call.example.org' }, true],
    ['its own host over the other scheme (behind a TLS-terminating proxy)', { origin: 'http://call.example.org' }, true],
    ['a listed origin', { origin: 'https://app.example.com' }, true],
    ['another origin', { origin: 'https://evil.example' }, false],
    ['its own host on another port', { origin: 'https://call.example.org:8443' }, false],
    ['a suffix trick', { origin: 'https://call.example.org.evil.example' }, false],
    ['the opaque origin null', { origin: 'null' }, false],
    ['a non-web scheme', { origin: 'file:///etc/passwd' }, false],
  ])('%s: admitted %s', (_what, headers, admitted) => {
    expect(admission().admit(request(headers)).admitted).toBe(admitted);
  });
});

describe('Admission: caps and rate', () => {
  it('refuses the socket past the per-address cap with 429, and admits again after a release', () => {
    const a = admission({ newSocketsPerIpBurst: 100 });
    const admitted = [1, 2, 3].map(() => a.admit(request()));
    expect(admitted.every((d) => d.admitted)).toBe(true);
    expect(a.admit(request())).toMatchObject({ admitted: false, refusal: { status: 429, reason: 'ip_sockets' } });
    expect(a.admit(request({}, '192.0.2.2')).admitted).toBe(true);
    const first = admitted[0]!;
    if (first.admitted) {
      first.release();
      first.release(); // a second release is ignored
    }
    expect(a.sockets).toBe(3);
    expect(a.admit(request()).admitted).toBe(true);
    expect(a.admit(request())).toMatchObject({ admitted: false });
  });

  it('refuses past the global cap with 503 before looking at the address', () => {
    const a = admission({ maxSockets: 2 });
    a.admit(request({}, '192.0.2.1'));
    a.admit(request({}, '192.0.2.2'));
    expect(a.admit(request({}, '192.0.2.3'))).toMatchObject({ admitted: false, refusal: { status: 503, reason: 'server_full', code: 'SERVER_FULL' } });
  });

  it('lets a burst in, then new sockets at the sustained rate', () => {
    const clock = { t: 0 };
    const a = admission({ maxSocketsPerIp: 1000 }, clock);
    for (let i = 0; i < 4; i++) expect(a.admit(request()).admitted).toBe(true);
    const refused = a.admit(request());
    expect(refused).toMatchObject({ admitted: false, refusal: { status: 429, reason: 'ip_rate', code: 'TOO_MANY_NEW_SOCKETS' } });
    clock.t += 499;
    expect(a.admit(request()).admitted).toBe(false);
    clock.t += 2;
    expect(a.admit(request()).admitted).toBe(true);
    expect(a.admit(request()).admitted).toBe(false);
  });

  it('forgets an address once it has no socket and its bucket is full again', async () => {
    const clock = { t: 0 };
    const a = admission({}, clock);
    const d = a.admit(request());
    expect(a.trackedAddresses).toBe(1);
    if (d.admitted) d.release();
    clock.t += 10_000;
    (a as unknown as { sweep(): void }).sweep();
    expect(a.trackedAddresses).toBe(0);
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientAddress(request({ 'x-forwarded-for': '203.0.113.9' }, '10.0.0.1'), 0)).toBe('10.0.0.1');
  });

  it('takes the entry the trusted proxy appended, not what the client wrote before it', () => {
    expect(clientAddress(request({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9' }, '10.0.0.1'), 1)).toBe('203.0.113.9');
    expect(clientAddress(request({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.0.0.2' }, '10.0.0.1'), 2)).toBe('203.0.113.9');
  });

  it('falls back to the peer when the header is missing or not an address', () => {
    expect(clientAddress(request({}, '10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddress(request({ 'x-forwarded-for': 'not-an-ip' }, '10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
