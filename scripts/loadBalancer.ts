// A plain TCP load balancer for demos and tests: round-robin over backends with no stickiness, so
// any socket (HTTP or WebSocket) may land on any node. A backend that refuses the
// connection is skipped, as a health-checking balancer would.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface LoadBalancer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLoadBalancer(backends: () => number[], listenPort = 0): Promise<LoadBalancer> {
  let next = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.pause();
    const ports = backends();
    const tryBackend = (attempt: number): void => {
      if (attempt >= ports.length) {
        client.destroy();
        return;
      }
      const port = ports[next++ % ports.length]!;
      const upstream = connect(port, '127.0.0.1');
      upstream.once('connect', () => {
        open.add(upstream);
        upstream.on('close', () => open.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.resume();
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
      upstream.once('error', () => {
        if (!upstream.readyState || upstream.connecting) tryBackend(attempt + 1);
      });
    };
    tryBackend(0);
  });
  server.listen(listenPort, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
