// rtc-loadtest against a port where nothing listens: it says it cannot connect to that
// URL, why (ECONNREFUSED) and what to check, at once, instead of "fetch failed".
import { createServer } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../loadtest/options.js';
import { UnreachableError } from '../../loadtest/reachability.js';
import { runLoad } from '../../loadtest/run.js';
import { endpointTokens } from '../../loadtest/tokens.js';

/** A loopback port that was free a moment ago and is closed now. */
async function closedPort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  srv.close();
  await once(srv, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

describe('load test against a closed port', () => {
  it('the run fails at once: cannot connect to <url> (ECONNREFUSED), and what to check', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/ws`;
    const parsed = parseLoadArgs(['--url', url, '--duration', '30']);
    if (!parsed.ok) throw new Error('bad options');
    const started = performance.now();
    const failure = await runLoad(parsed.options).then(() => undefined, (err: unknown) => err);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(failure).toBeInstanceOf(UnreachableError);
    const message = (failure as Error).message;
    expect(message).toContain(`cannot connect to ${url} (ECONNREFUSED)`);
    expect(message).toMatch(/Is the server running \(npm start\), and is the port in --url the server's PORT\?/);
    expect(message).not.toContain('fetch failed');
  });

  it("the token endpoint's refusal names the endpoint and the reason, not just \"fetch failed\"", async () => {
    const port = await closedPort();
    const failure = await endpointTokens(`ws://127.0.0.1:${port}/ws`)([{ identity: 'a', name: 'a', room: 'r' }]).then(() => undefined, (err: unknown) => err);
    expect((failure as Error).message).toContain(`cannot connect to http://127.0.0.1:${port}/api/token (ECONNREFUSED)`);
  });
});
