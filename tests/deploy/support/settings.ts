// Which environment variables the server reads, so a manifest cannot set a misspelt or
// made-up one: the names in server/config.ts's schema, plus those the scale-out and TCP
// issues are adding (deploy/README.md lists them until server/config.ts has them).
import { readFileSync } from 'node:fs';

/** Settings the manifests already use that server/config.ts may not read yet. */
export const UPCOMING_SETTINGS = ['REDIS_URL', 'SHUTDOWN_DRAIN_MS', 'NODE_ID', 'TURN_SECRET', 'TURN_URLS'] as const;

export function serverSettings(): Set<string> {
  const source = readFileSync('server/config.ts', 'utf8');
  const names = [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+)\s*:/gm)].map((m) => m[1]!);
  if (!names.includes('PORT') || !names.includes('JWT_SECRET')) throw new Error('could not read the variable names from server/config.ts');
  return new Set(names);
}

export function unknownSettings(names: Iterable<string>): string[] {
  const known = serverSettings();
  const upcoming = new Set<string>(UPCOMING_SETTINGS);
  return [...new Set(names)].filter((n) => !known.has(n) && !upcoming.has(n)).sort();
}
