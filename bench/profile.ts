// Reads a V8 .cpuprofile (node --cpu-prof) into the functions with the most self time,
// so a bench can say where the server's time goes without opening DevTools.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  file: string;
  totalSamples: number;
  /** Share of samples spent idle or in GC, in percent. */
  idlePercent: number;
  gcPercent: number;
  functions: Array<{ name: string; where: string; percent: number }>;
  /** Self time grouped by package or source folder, in percent. */
  byModule: Array<{ module: string; percent: number }>;
}

function moduleOf(url: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url;
  if (url === '') return '(native)';
  if (url.includes('/dist/')) return 'dist (our server)';
  return url.split('/').slice(-2).join('/');
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const fn = new Map<string, { name: string; where: string; n: number }>();
  const mod = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, n] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') idle += n;
    if (functionName === '(garbage collector)') gc += n;
    const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = fn.get(key) ?? { name: functionName || '(anonymous)', where, n: 0 };
    entry.n += n;
    fn.set(key, entry);
    const m = functionName.startsWith('(') ? functionName : moduleOf(url);
    mod.set(m, (mod.get(m) ?? 0) + n);
  }
  const pct = (n: number): number => Math.round((n / total) * 1000) / 10;
  return {
    file,
    totalSamples: profile.samples.length,
    idlePercent: pct(idle),
    gcPercent: pct(gc),
    functions: [...fn.values()].sort((a, b) => b.n - a.n).slice(0, top).map((e) => ({ name: e.name, where: e.where, percent: pct(e.n) })),
    byModule: [...mod.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([module, n]) => ({ module, percent: pct(n) })),
  };
}
