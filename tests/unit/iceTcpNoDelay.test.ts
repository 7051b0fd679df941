// ICE-TCP connections the SFU accepts must not hold small writes back (Nagle): data
// channels, NACKs and RTCP share the connection with video (server/sfu/iceTcpNoDelay.ts).
import net from 'node:net';
import { TcpPassiveProtocol } from 'werift';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { disableNagleOnIceTcp } from '../../server/sfu/iceTcpNoDelay.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ICE-TCP without Nagle', () => {
  it('a TCP connection werift accepts for ICE gets TCP_NODELAY', async () => {
    disableNagleOnIceTcp();
    const setNoDelay = net.Socket.prototype.setNoDelay;
    const accepted = new Promise<{ remotePort: number | undefined; noDelay: boolean | undefined }>((resolve) => {
      vi.spyOn(net.Socket.prototype, 'setNoDelay').mockImplementation(function (this: net.Socket, noDelay?: boolean) {
        resolve({ remotePort: this.remotePort, noDelay });
        return setNoDelay.call(this, noDelay);
      });
    });
    const protocol = new TcpPassiveProtocol();
    await protocol.connectionMade('127.0.0.1');
    const client = net.connect({ host: '127.0.0.1', port: protocol.listeningPort });
    try {
      await new Promise<void>((resolve) => client.once('connect', resolve));
      // The socket werift accepted is the other end of ours.
      expect(await accepted).toEqual({ remotePort: client.localPort, noDelay: true });
    } finally {
      client.destroy();
      await protocol.close();
    }
  });
});
