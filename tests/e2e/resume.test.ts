// Session resume in the browser: a page whose signaling socket vanishes (no close frame,
// as in a network drop) keeps its peer connections and resumes as the same participant,
// in both deployment shapes; in the cluster it comes back through another node. Its own
// servers: they run with the default resume grace period (other e2e files use 0, so
// closed tabs leave at once).
import { describe, expect, it } from 'vitest';
import type { ServerHandle } from '../helpers/serverProcess.js';
import { engineEnv, SHAPES_AND_ENGINES } from '../helpers/engines.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { useCallDeployment } from './callDeployment.js';
import { openCall, waitFor, waitForMedia } from './callPage.js';

describe.each(SHAPES_AND_ENGINES)('session resume in the browser, %s, on %s', (shape, engine) => {
  const deployment = useCallDeployment(shape, { RESUME_GRACE_MS: '15000', ...engineEnv(engine) });

  it('a page whose signaling connection drops resumes as the same participant (on another node in a cluster): nobody sees it leave, and video keeps flowing', async () => {
    const room = 'blip';
    // Alice reaches the server through a proxy that can cut her connection like a network drop.
    const proxy = await startTcpProxy(portOf(deployment.servers[0]!));
    try {
      const a = await openCall(deployment.browser, proxy.url, room, 'Alice');
      deployment.pages.push(a);
      const b = await openCall(deployment.browser, deployment.servers[deployment.servers.length - 1]!.url, room, 'Bob');
      deployment.pages.push(b);
      const [aId, bId] = (await Promise.all([a, b].map((p) => p.evaluate(() => window.__call.participantId())))) as [string, string];
      await waitForMedia(a, [bId], { timeoutMs: 15_000 });
      await waitForMedia(b, [aId], { timeoutMs: 15_000 });
      const resumesBefore = deployment.servers.map((s) => s.logs.filter((l) => l.includes('participant resumed')).length);

      if (deployment.servers.length > 1) proxy.retarget(portOf(deployment.servers[1]!));
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await waitFor(
        () => deployment.servers.some((s, i) => s.logs.filter((l) => l.includes('participant resumed')).length > resumesBefore[i]!),
        10_000,
        'a server logged that Alice resumed',
      );
      await waitFor(() => a.evaluate(() => window.__call.state() === 'joined'), 5000, 'Alice back in the call');

      expect(await a.evaluate(() => window.__call.participantId())).toBe(aId);
      expect(await b.evaluate(() => window.__call.remoteParticipants())).toEqual([aId]);
      expect(await a.evaluate(() => window.__call.remoteParticipants())).toEqual([bId]);
      // The same peer connections carry on: frames keep being decoded both ways.
      await waitForMedia(a, [bId], { timeoutMs: 5000 });
      await waitForMedia(b, [aId], { timeoutMs: 5000 });
      // Signaling works on the new socket too: Alice's mute reaches Bob.
      await a.getByTestId('toggle-mic').click();
      await expect.poll(() => b.locator(`[data-participant-id="${aId}"]`).getAttribute('data-audio-muted'), { timeout: 5000 }).toBe('true');
    } finally {
      await proxy.close();
    }
  });
});

function portOf(server: ServerHandle): number {
  return Number(new URL(server.url).port);
}
