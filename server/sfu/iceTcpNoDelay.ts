// TCP_NODELAY on werift 0.25's ICE-TCP sockets, which it leaves with Node's default (Nagle
// on). Over ICE-TCP one connection carries video, audio, RTCP and the data channels; with
// Nagle a small write (an SCTP message, a NACK, an RTCP report) waits until everything sent
// before it is acknowledged, and video keeps something in flight nearly all the time. In
// the TCP vs UDP experiment (50 ± 10 ms delay) the data-channel round trip over ICE-TCP
// fell from p50 158 to 120 ms with it, close to the WebSocket's 118 ms. Chromium sets
// TCP_NODELAY on its side already.
import type { Socket } from 'node:net';
import { TcpPassiveProtocol } from 'werift';

let installed = false;

interface RegistersSockets {
  registerSocket(socket: Socket, ...rest: unknown[]): unknown;
}

/** Makes every ICE-TCP socket werift opens or accepts from now on in this process send without delay (idempotent). */
export function disableNagleOnIceTcp(): void {
  if (installed) return;
  // registerSocket is where werift's passive (and active) TCP protocols take on a socket;
  // it lives on their common base class, which werift does not export.
  const base = Object.getPrototypeOf(TcpPassiveProtocol.prototype) as RegistersSockets;
  const register = base.registerSocket;
  if (typeof register !== 'function') throw new Error('werift changed: no registerSocket on its TCP protocol to set TCP_NODELAY in');
  installed = true;
  base.registerSocket = function registerSocketNoDelay(this: RegistersSockets, socket: Socket, ...rest: unknown[]): unknown {
    socket.setNoDelay(true);
    return register.call(this, socket, ...rest);
  };
}
