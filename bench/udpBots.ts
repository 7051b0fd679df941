// The baseline's bots, in their own process (forked by bench/sfu.ts): one plain UDP
// sender that sends packets of the same size at the same rate as the SFU publisher, and
// receiver sockets that count what the relay (bench/udpRelay.ts) sends them.
import dgram from 'node:dgram';
import { serveRequests } from './ipcChild.js';
import { startPacer, type Pacer } from './packetPacer.js';
import type { BotCounts } from './sfuBots.js';

export type UdpBotRequest =
  | { type: 'send'; relayPort: number; packetsPerSecond: number; packetBytes: number }
  /** Opens receivers up to `total`; answers every receiver's port. */
  | { type: 'receive'; total: number }
  | { type: 'counts' };

const sender = dgram.createSocket('udp4');
let pacer: Pacer | undefined;
const receivers: Array<{ socket: dgram.Socket; port: number; received: number }> = [];

async function openReceiver(): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  const receiver = { socket, port: socket.address().port, received: 0 };
  socket.on('message', () => receiver.received++);
  receivers.push(receiver);
}

serveRequests<UdpBotRequest, BotCounts | number[] | null>(async (req) => {
  switch (req.type) {
    case 'send': {
      const packet = Buffer.alloc(req.packetBytes, 0xab);
      pacer = startPacer(req.packetsPerSecond, () => sender.send(packet, req.relayPort, '127.0.0.1'));
      return null;
    }
    case 'receive':
      while (receivers.length < req.total) await openReceiver();
      return receivers.map((r) => r.port);
    case 'counts':
      return { sent: pacer?.sent ?? 0, received: receivers.map((r) => r.received) };
  }
});
