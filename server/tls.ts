// A self-signed certificate for trying the call between machines on a LAN: browsers only
// allow cameras on https or localhost. Browsers will warn; accept the warning once.
import { networkInterfaces } from 'node:os';
import selfsigned from 'selfsigned';

export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const ips = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4')
    .map((a) => ({ type: 7 as const, ip: a!.address }));
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, ...ips] }],
  });
  return { cert: pems.cert, key: pems.private };
}
