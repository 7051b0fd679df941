// A full garbage collection in a child process, asked for through its inspector (the child
// runs with --inspect=127.0.0.1:<port>). RSS read right after a join storm includes garbage
// V8 has not collected yet; RSS read after a full GC is what the held connections keep.
import WebSocket from 'ws';
import { z } from 'zod';

const Targets = z.array(z.object({ webSocketDebuggerUrl: z.string() })).min(1);
const Reply = z.object({ id: z.number(), error: z.unknown().optional() });

/** Runs V8's full GC twice (the second frees what the first's finalizers released). */
export async function collectGarbage(inspectPort: number): Promise<void> {
  const targets = Targets.parse(await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json());
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  try {
    for (const id of [1, 2]) {
      const answered = new Promise<void>((resolve, reject) => {
        const onMessage = (data: WebSocket.RawData): void => {
          const reply = Reply.safeParse(JSON.parse(String(data)));
          if (!reply.success || reply.data.id !== id) return;
          socket.off('message', onMessage);
          if (reply.data.error) reject(new Error(`inspector: ${JSON.stringify(reply.data.error)}`));
          else resolve();
        };
        socket.on('message', onMessage);
      });
      socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await answered;
    }
  } finally {
    socket.close();
  }
}
