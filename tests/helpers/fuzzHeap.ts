// The server's live JavaScript heap: a full garbage collection through the inspector
// (the server runs with --inspect on a loopback port), then V8's used heap from /metrics.
// Unlike RSS, which keeps the high-water mark of a busy run, this is what stays behind.
import WebSocket from 'ws';
import { freePort } from './serverProcess.js';

export interface Inspectable {
  /** Node options that open the inspector on a free loopback port. */
  nodeArgs: string[];
  port: number;
}

export async function inspectorArgs(): Promise<Inspectable> {
  const port = await freePort();
  return { nodeArgs: [`--inspect=127.0.0.1:${port}`], port };
}

/** Collects garbage in the server (twice: weak references and finalizers free more), then reads its used heap. */
export async function liveHeapBytes(inspectorPort: number, serverUrl: string): Promise<number> {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  if (!target) throw new Error('the server has no inspector target');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    for (const id of [1, 2]) {
      const done = new Promise<void>((resolve) => {
        const onMessage = (data: WebSocket.RawData): void => {
          if ((JSON.parse(data.toString()) as { id?: number }).id === id) {
            ws.off('message', onMessage);
            resolve();
          }
        };
        ws.on('message', onMessage);
      });
      ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await done;
    }
  } finally {
    ws.close();
  }
  const metrics = await (await fetch(`${serverUrl}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN);
}
