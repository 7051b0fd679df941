// One measurement of the TCP vs UDP experiment: apply a profile, let it settle, read the
// page's probes and received video over a window. Shared by the demonstration and its
// integration test, so both judge the same figures.
import type { Page } from 'playwright-core';
import { PROBE_DEADLINE_MS, PROBE_PATHS, type ProbePath } from '../../client/call/stats/probes.js';
import type { VideoCounters } from '../../client/call/subscriber.js';
import type { LinkCounts, NetLab } from '../netlab/netlab.js';
import type { ImpairmentProfile, Measurement, ProbeFigures } from './results.js';
import { probeFigures, videoFigures } from './windowFigures.js';

/** After an impairment changes, before the window opens: TCP's queues drain, jitter buffers adapt. */
export const SETTLE_MS = 1500;

/** Sets the network condition: the shaped link (netns mode) or the SFU's own impairment (reduced mode). */
export interface Impairer {
  set(delayMs: number, jitterMs: number, loss: number): Promise<void>;
  /** The link's packet counts, where there is a link. */
  counts(): Promise<LinkCounts | undefined>;
}

export const LINK_IMPAIRMENT_NOTE = 'delay and jitter both ways; loss on packets from the clients to the server';
export const SFU_IMPAIRMENT_NOTE = 'the SFU drops and delays the media it forwards (to every participant); probes are not impaired';

export function linkImpairer(lab: NetLab): Impairer {
  return {
    // Delay both ways, so a round trip carries twice the one-way figure as on a real path.
    // Loss only on the way up: werift 0.25 retransmits data channel messages sent with
    // maxRetransmits 0 (its abandon check treats 0 as "no limit"), so the SFU's echo of an
    // unreliable probe would be repaired on a lossy way down. Up, Chromium sends the probes
    // and honours maxRetransmits 0; every path and every transport sees the same loss.
    async set(delayMs, jitterMs, loss) {
      await lab.setImpairment({ delayMs, jitterMs, loss }, { delayMs, jitterMs });
    },
    counts: () => lab.counts(),
  };
}

/** The SFU's impairment, set from an admin's page (reduced mode): it acts on forwarded media only. */
export function sfuImpairer(admin: Page): Impairer {
  return {
    async set(delayMs, jitterMs, loss) {
      await admin.evaluate(() => window.__call.openStats());
      const off = delayMs === 0 && jitterMs === 0 && loss === 0;
      if (off) {
        await admin.getByTestId('impairment-off').click();
      } else {
        await admin.getByTestId('impairment-loss').fill(String(loss * 100));
        await admin.getByTestId('impairment-delay').fill(String(delayMs));
        await admin.getByTestId('impairment-jitter').fill(String(jitterMs));
        await admin.getByTestId('impairment-kind').selectOption('all');
        await admin.getByTestId('impairment-apply').click();
      }
      await admin.getByTestId('impairment-status').filter({ hasText: off ? 'Off.' : 'In force' }).waitFor({ timeout: 5000 });
    },
    counts: async () => undefined,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The page's clock, on which its probes are stamped. */
async function probeClock(page: Page): Promise<number> {
  const snapshot = await page.evaluate(() => window.__call.probeSamples());
  if (!snapshot) throw new Error('the page has no probe connection');
  return snapshot.now;
}

async function videoFrom(page: Page, participantId: string | undefined): Promise<VideoCounters | undefined> {
  if (participantId === undefined) return undefined;
  const stats = await page.evaluate(() => window.__call.stats());
  return stats.find((s) => s.participantId === participantId)?.video;
}

function linkLoss(before: LinkCounts | undefined, after: LinkCounts | undefined): number | undefined {
  if (!before || !after) return undefined;
  const dropped = after.up.dropped - before.up.dropped;
  const total = dropped + after.up.passed - before.up.passed;
  return total > 0 ? (dropped / total) * 100 : undefined;
}

export type WindowMeasurement = Omit<Measurement, 'transport' | 'path'>;

/**
 * One profile on a connected page: settle, measure `windowSeconds`, then wait out the probe
 * deadline under the same conditions so the window's last probes get their full chance.
 * `videoFrom` names the participant whose video the page's figures are about (none: no video figures).
 */
export async function measureProfile(
  page: Page,
  impairer: Impairer,
  profile: ImpairmentProfile,
  windowSeconds: number,
  videoFromId?: string,
): Promise<WindowMeasurement> {
  await impairer.set(profile.delayMs, profile.jitterMs, profile.loss);
  await sleep(SETTLE_MS);
  const from = await probeClock(page);
  const videoStart = await videoFrom(page, videoFromId);
  const linkStart = await impairer.counts();
  const started = Date.now();
  if (profile.burst) {
    await sleep(profile.burst.afterMs);
    await impairer.set(profile.delayMs, profile.jitterMs, profile.burst.loss);
    await sleep(profile.burst.durationMs);
    await impairer.set(profile.delayMs, profile.jitterMs, profile.loss);
  }
  await sleep(windowSeconds * 1000 - (Date.now() - started));
  const to = await probeClock(page);
  const videoEnd = await videoFrom(page, videoFromId);
  const linkEnd = await impairer.counts();
  await sleep(PROBE_DEADLINE_MS + 200);
  const snapshot = await page.evaluate(() => window.__call.probeSamples());
  const probes = {} as Record<ProbePath, ProbeFigures>;
  for (const p of PROBE_PATHS) probes[p] = probeFigures(snapshot?.samples[p] ?? [], from, to);
  const measurement: WindowMeasurement = { profileId: profile.id, probes, video: videoFigures(videoStart, videoEnd, (to - from) / 1000) };
  const dropped = linkLoss(linkStart, linkEnd);
  if (dropped !== undefined) measurement.linkLossPercent = dropped;
  return measurement;
}
