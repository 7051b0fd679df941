// A TCP proxy on loopback in front of a server, for tests that need a connection to vanish
// the way a network drop makes it vanish: both ends see the TCP connection end without a
// WebSocket close frame (1006), as when Wi-Fi blips. It can also switch to another target
// for the next connections, as a load balancer without stickiness would.
import net from 'node:net';

export interface TcpProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** New connections go to this port on 127.0.0.1 from now on. */
  retarget(port: number): void;
  /** Ends every open connection at once, both sides, without closing anything politely; returns how many. */
  dropAll(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const open = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const pair = { client, upstream };
    open.add(pair);
    const end = (): void => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    retarget: (port) => {
      target = port;
    },
    dropAll: () => {
      const count = open.size;
      for (const { client, upstream } of [...open]) {
        // resetAndDestroy: an RST, so neither side waits for a FIN handshake.
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      open.clear();
      return count;
    },
    close: async () => {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
