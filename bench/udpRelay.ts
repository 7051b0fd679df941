// The SFU bench's baseline server, in its own process: a bare UDP relay that sends every
// datagram it receives on to each registered receiver. No ICE, DTLS, SRTP, RTCP or
// per-stream state: what forwarding costs in Node when it is only socket work.
import dgram from 'node:dgram';
import { serveRequests } from './ipcChild.js';

export type RelayRequest = { type: 'listen' } | { type: 'receivers'; ports: number[] };

const socket = dgram.createSocket('udp4');
let receivers: number[] = [];

socket.on('message', (packet) => {
  for (const port of receivers) socket.send(packet, port, '127.0.0.1');
});

serveRequests<RelayRequest, number | null>(async (req) => {
  switch (req.type) {
    case 'listen':
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      // Room for bursts of 16 copies of a 100 ms stall, as a kernel tuned for media would have.
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
      return socket.address().port;
    case 'receivers':
      receivers = req.ports;
      return null;
  }
});
