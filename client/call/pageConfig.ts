// Asks the server what it can carry (GET /api/config) before the page offers a transport.
// An answer that is missing or malformed (an older server) yields undefined: the page then
// offers every choice, as it did before the endpoint existed.
import type { PageConfig } from '../../signaling/pageConfig.js';
import { isRecord } from './wire.js';

const CONFIG_TIMEOUT_MS = 5_000;

export async function fetchPageConfig(fetcher: typeof fetch = fetch): Promise<PageConfig | undefined> {
  try {
    const response = await fetcher('/api/config', { signal: AbortSignal.timeout(CONFIG_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return parsePageConfig(await response.json());
  } catch {
    return undefined;
  }
}

export function parsePageConfig(body: unknown): PageConfig | undefined {
  if (!isRecord(body) || typeof body.engine !== 'string' || !isRecord(body.transports)) return undefined;
  const { udp, iceTcp, turnTcp } = body.transports;
  if (typeof udp !== 'boolean' || typeof iceTcp !== 'boolean' || typeof turnTcp !== 'boolean') return undefined;
  return { engine: body.engine, transports: { udp, iceTcp, turnTcp } };
}
