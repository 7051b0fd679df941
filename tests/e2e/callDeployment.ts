// The servers of one deployment shape (one node, or three nodes on Redis) and a Chromium,
// for one describe block of e2e tests: started before its tests, pages closed after each
// test, everything stopped after the last.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium, type ChromiumOptions } from '../helpers/browser.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import type { Shape } from '../helpers/signalingServer.js';

/** Blank values restore the server's defaults (config.ts). */
const PRODUCTION_TTLS = { NODE_TTL_MS: '', LEASE_TTL_MS: '' };

export interface CallDeployment {
  /** One server, or the cluster's nodes; set once the block's tests run. */
  servers: ServerHandle[];
  browser: Browser;
  /** Pages to close after the current test. */
  pages: Page[];
}

export function useCallDeployment(shape: Shape, env: Record<string, string> = {}, chromium: ChromiumOptions = {}): CallDeployment {
  let cluster: ClusterHandle | undefined;
  const deployment = { servers: [], pages: [] } as unknown as CallDeployment;

  beforeAll(async () => {
    if (shape === 'one node') {
      deployment.servers = [await startServer(env)];
    } else {
      // The call tests run the cluster on the default node and lease TTLs, not the test
      // helper's short ones (made for failover tests): three Chromium pages on 2 cores stall
      // a node for 2-3 s at times, and a 3 s TTL then moved the room mid-test (pages back
      // under new ids), which is failover, not the call these tests are about.
      cluster = await startCluster(3, { ...PRODUCTION_TTLS, ...env });
      deployment.servers = cluster.nodes;
    }
    deployment.browser = await launchChromium(chromium);
  });

  afterEach(async ({ task }) => {
    // A failed call test shows what the servers saw: rooms that moved, resumes that became
    // fresh joins, warnings. The CI log is often all there is to go on.
    if (task.result?.state === 'fail') for (const [i, s] of deployment.servers.entries()) console.error(`server ${i} (${s.url}), notable log lines:\n${notableLines(s.logs).join('\n')}`);
    await Promise.all(deployment.pages.splice(0).map((p) => p.context().close()));
  });

  afterAll(async () => {
    await deployment.browser?.close();
    await (cluster ? cluster.stop() : Promise.all(deployment.servers.map((s) => s.stop())));
  });

  return deployment;
}

const NOTABLE = /"level":"(warn|error)"|resume is a fresh join|room moves|judged dead|moved/;

/** The server's warnings and room/resume lifecycle lines, the last 40 of them. */
function notableLines(logs: string[]): string[] {
  return logs.filter((line) => NOTABLE.test(line)).slice(-40);
}
