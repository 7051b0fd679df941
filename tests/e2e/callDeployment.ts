// The servers of one deployment shape (one node, or three nodes on Redis) and a Chromium,
// for one describe block of e2e tests: started before its tests, pages closed after each
// test, everything stopped after the last.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium, type ChromiumOptions } from '../helpers/browser.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { startServer, type ServerHandle } from '../helpers/serverProcess.js';
import type { Shape } from '../helpers/signalingServer.js';

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
      cluster = await startCluster(3, env);
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
