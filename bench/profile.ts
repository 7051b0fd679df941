// Reads a V8 .cpuprofile (node --cpu-prof) into the functions with the most self time,
// so a bench can say where the server's time goes without opening DevTools.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, the one process.hrtime reads (in any process of the machine). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** The part of the profile summarized (monotonic clock, microseconds), if not all of it. */
  window?: { startUs: number; endUs: number };
  totalSamples: number;
  /** Share of samples spent idle or in GC, in percent. */
  idlePercent: number;
  gcPercent: number;
  functions: Array<{ name: string; where: string; percent: number }>;
  /** Self time grouped by package or source folder, in percent. */
  byModule: Array<{ module: string; percent: number }>;
  /** Self time grouped by what the SFU does (see `categoryOf`), in percent of all samples. */
  byCategory: Array<{ category: string; percent: number }>;
}

function moduleOf(url: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url;
  if (url === '') return '(native)';
  if (url.includes('/dist/')) return 'dist (our server)';
  return url.split('/').slice(-2).join('/');
}

/**
 * werift's ESM build is one bundle (lib/index.mjs) whose parts start with a comment naming
 * their source (`// ../rtp/src/srtp/srtp.ts`, `// src/media/rtpSender.ts`): the start line
 * of each part and its source as `<package>/<path>`, to tell werift's layers apart.
 */
const bundleParts = new Map<string, Array<{ line: number; source: string }>>();

function bundleSource(url: string, lineNumber: number): string | undefined {
  let parts = bundleParts.get(url);
  if (!parts) {
    parts = [];
    try {
      const lines = readFileSync(url.startsWith('file:') ? fileURLToPath(url) : url, 'utf8').split('\n');
      for (const [i, text] of lines.entries()) {
        const m = /^\/\/ (?:\.\.\/([^/]+)\/)?src\/(\S+)\.ts$/.exec(text);
        if (m) parts.push({ line: i, source: `${m[1] ?? 'webrtc'}/${m[2]}` });
      }
    } catch {
      // Not readable here (a profile from another machine): werift stays one block.
    }
    bundleParts.set(url, parts);
  }
  let found: string | undefined;
  for (const part of parts) {
    if (part.line > lineNumber) break;
    found = part.source;
  }
  return found;
}

/** werift's layers, from a source path such as `rtp/srtp/cipher/gcm` (package, then path). */
function weriftLayer(source: string | undefined): string {
  if (!source) return 'werift (unknown part)';
  const [pkg, ...restParts] = source.split('/');
  const rest = restParts.join('/');
  if ((pkg === 'rtp' && rest.startsWith('srtp/')) || (pkg === 'dtls' && rest.startsWith('cipher/'))) return 'werift SRTP/crypto';
  if (pkg === 'rtp' || (pkg === 'common' && rest.startsWith('binary'))) return 'werift RTP/RTCP parse/serialize';
  if (pkg === 'webrtc' && rest.startsWith('media/')) return 'werift track/sender/receiver';
  if (pkg === 'common' && rest === 'event') return 'werift events';
  if (pkg === 'ice' || pkg === 'dtls' || (pkg === 'webrtc' && rest.startsWith('transport/'))) return 'werift transport (ICE/DTLS)';
  return `werift other (${pkg})`;
}

/** The media server's work by layer; undefined for frames that only carry out a caller's work (native code, Node's own modules other than dgram). */
function layerOf(url: string, lineNumber: number): string | undefined {
  const file = /node_modules\/werift\/lib\/([^/]+)\/src\/(.*)\.js$/.exec(url);
  if (file) return weriftLayer(`${file[1]}/${file[2]}`);
  if (/node_modules\/werift\/lib\/index\.mjs$/.test(url)) return weriftLayer(bundleSource(url, lineNumber));
  if (url === 'node:dgram' || url === 'node:internal/dgram') return 'node:dgram (UDP send/receive)';
  if (url === '' || url.startsWith('node:')) return undefined;
  if (url.includes('/dist/')) return 'our server (dist)';
  return moduleOf(url);
}

/**
 * Where a sample's time goes: the first frame, from the leaf up, that belongs to a layer.
 * Native code and Node internals count for their caller, so AES and HMAC inside OpenSSL
 * count as werift SRTP, a UDP send as node:dgram.
 */
function categoryOf(nodeId: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  const leaf = byId.get(nodeId)!.callFrame;
  if (leaf.functionName === '(idle)') return 'idle';
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(program)') return '(program: V8 and native, unattributed)';
  for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
    const { url, lineNumber } = byId.get(id)!.callFrame;
    const layer = layerOf(url, lineNumber);
    if (layer) return layer;
  }
  return leaf.url === '' ? '(native)' : 'node (timers, ticks, other)';
}

/** Categories by share, the ones under half a percent folded into one line. */
function foldSmall(counts: Map<string, number>, total: number): Array<{ category: string; percent: number }> {
  const out: Array<{ category: string; n: number }> = [];
  let small = 0;
  for (const [category, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    if (n / (total || 1) < 0.005) small += n;
    else out.push({ category, n });
  }
  if (small > 0) out.push({ category: 'other (each under 0.5%)', n: small });
  return out.map(({ category, n }) => ({ category, percent: Math.round((n / (total || 1)) * 1000) / 10 }));
}

export interface SummaryOptions {
  /** Only samples taken in this window count (monotonic clock, microseconds, as process.hrtime). */
  window?: { startUs: number; endUs: number };
}

export function summarizeProfile(file: string, top = 20, options: SummaryOptions = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (options.window && (t < options.window.startUs || t > options.window.endUs)) continue;
    const id = profile.samples[i]!;
    hits.set(id, (hits.get(id) ?? 0) + 1);
    total++;
  }
  const fn = new Map<string, { name: string; where: string; n: number }>();
  const mod = new Map<string, number>();
  const cat = new Map<string, number>();
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
    const c = categoryOf(id, byId, parent);
    cat.set(c, (cat.get(c) ?? 0) + n);
  }
  const pct = (n: number): number => Math.round((n / (total || 1)) * 1000) / 10;
  return {
    file,
    window: options.window,
    totalSamples: total,
    idlePercent: pct(idle),
    gcPercent: pct(gc),
    functions: [...fn.values()].sort((a, b) => b.n - a.n).slice(0, top).map((e) => ({ name: e.name, where: e.where, percent: pct(e.n) })),
    byModule: [...mod.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([module, n]) => ({ module, percent: pct(n) })),
    byCategory: foldSmall(cat, total),
  };
}
