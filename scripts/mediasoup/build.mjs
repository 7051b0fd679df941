#!/usr/bin/env node
// npm run build:mediasoup
//
// Builds mediasoup's C++ worker from the npm package's own sources
// (node_modules/mediasoup/worker/) against Debian's libraries, using only apt and
// what npm installed, and puts it where mediasoup's Node side looks by default:
// node_modules/mediasoup/worker/out/Release/mediasoup-worker.
//
// Why: mediasoup's postinstall downloads a prebuilt worker, or else has meson
// download the worker's subprojects. Neither reaches anything on a machine whose
// only outside access is the npm registry and Debian's apt.
//
// Route, in order:
//   1. MEDIASOUP_WORKER_BIN names an existing file, or a worker not built by this
//      script is at the default location and runs: say so, change nothing.
//   2. A cached build for this mediasoup version and this recipe exists: install
//      it (seconds).
//   3. Otherwise: apt packages, a temp copy of worker/, our patch, local
//      subproject stubs for Debian's libraries, meson + ninja, strip, cache,
//      install.
// Every route that installs ends with a check through mediasoup itself
// (createWorker, createRouter with Opus and VP8, a WebRtcTransport on 127.0.0.1).
//
// Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/rtc-sfu/mediasoup-worker/<version>-<hash>/
// where <hash> covers patches/mediasoup-<version>.patch and subprojects/**.
// Why each patch hunk and stub is there: README.md beside this file.
//
// Environment: MEDIASOUP_BUILD_JOBS overrides ninja's -j (default: CPU count).
// Plain Node ESM, stdlib only.

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const MEDIASOUP_DIR = path.join(ROOT, 'node_modules', 'mediasoup');
const WORKER_SRC = path.join(MEDIASOUP_DIR, 'worker');
const INSTALLED_BIN = path.join(WORKER_SRC, 'out', 'Release', 'mediasoup-worker');
// Written beside the binary we install, so a later run can tell our build (and
// whether it is from the current recipe) from one mediasoup downloaded itself.
const INSTALLED_KEY_FILE = `${INSTALLED_BIN}.build-key`;
const SUBPROJECTS_DIR = path.join(HERE, 'subprojects');

// Debian packages needed to build, one a line (.ci/run reads the same file); the
// runtime libraries come with the -dev packages.
const BUILD_PACKAGES = fs
  .readFileSync(path.join(HERE, 'debian-packages.txt'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);

const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (msg) => console.log(`[mediasoup-worker ${elapsed().padStart(6)}s] ${msg}`);

class PhaseError extends Error {
  constructor(phase, message, tail = [], logFile = null) {
    super(message);
    this.phase = phase;
    this.tail = tail;
    this.logFile = logFile;
  }
}

main().catch((err) => {
  if (err instanceof PhaseError) {
    console.error(`\n[mediasoup-worker ${elapsed()}s] FAILED in phase "${err.phase}": ${err.message}`);
    if (err.tail.length > 0) {
      console.error(`--- last ${err.tail.length} lines of ${err.phase} ---`);
      for (const line of err.tail) console.error(line);
      console.error('---');
    }
    if (err.logFile) console.error(`full output: ${err.logFile}`);
  } else {
    console.error(`\n[mediasoup-worker ${elapsed()}s] FAILED: ${err?.stack ?? err}`);
  }
  process.exit(1);
});

async function main() {
  if (!fs.existsSync(path.join(MEDIASOUP_DIR, 'package.json'))) {
    throw new PhaseError('setup', `${MEDIASOUP_DIR} is missing: run npm ci first`);
  }
  const version = JSON.parse(fs.readFileSync(path.join(MEDIASOUP_DIR, 'package.json'), 'utf8')).version;
  const patchFile = path.join(HERE, 'patches', `mediasoup-${version}.patch`);
  if (!fs.existsSync(patchFile)) {
    throw new PhaseError(
      'setup',
      `no patch for mediasoup ${version}: add ${path.relative(ROOT, patchFile)} (see scripts/mediasoup/README.md)`,
    );
  }
  const key = `${version}-${recipeHash(patchFile)}`;
  const cacheDir = path.join(cacheBase(), 'rtc-sfu', 'mediasoup-worker', key);
  const cachedBin = path.join(cacheDir, 'mediasoup-worker');
  log(`mediasoup ${version}, recipe ${key}, cache ${cachedBin}`);

  // 1. mediasoup's own routes.
  const envBin = process.env.MEDIASOUP_WORKER_BIN;
  if (envBin) {
    if (fs.existsSync(envBin)) {
      log(`MEDIASOUP_WORKER_BIN=${envBin} exists: mediasoup uses it, nothing to build`);
      await verify(envBin, { useEnvBin: true });
      return;
    }
    log(`warning: MEDIASOUP_WORKER_BIN=${envBin} does not exist; building the default worker, ` +
      'but mediasoup will keep using MEDIASOUP_WORKER_BIN while it is set');
  }
  const installedKey = readInstalledKey();
  if (fs.existsSync(INSTALLED_BIN) && installedKey === null) {
    log(`a worker not built by this script is at ${path.relative(ROOT, INSTALLED_BIN)}: checking that it runs`);
    try {
      await verify(INSTALLED_BIN);
      log('it works (mediasoup\'s own route): nothing to build');
      return;
    } catch (err) {
      log(`the worker at ${path.relative(ROOT, INSTALLED_BIN)} does not run (${briefly(err)}): building our own`);
    }
  }

  // Our current build is installed but the cache lost it: keep it in the cache.
  if (installedKey === key && !fs.existsSync(cachedBin) && fs.existsSync(INSTALLED_BIN)) {
    log('seeding the cache from the installed worker (same recipe)');
    atomicCopy(INSTALLED_BIN, cachedBin);
  }

  // 2. Cache.
  if (fs.existsSync(cachedBin)) {
    log('cache hit: installing the cached worker');
    installBinary(cachedBin, key);
    if (missingSharedLibraries(INSTALLED_BIN).length > 0) {
      log(`shared libraries missing: ${missingSharedLibraries(INSTALLED_BIN).join(', ')}`);
      ensurePackages();
    }
    try {
      await verify(INSTALLED_BIN);
      return;
    } catch (err) {
      log(`the cached worker does not run here (${briefly(err)}): discarding it and building`);
      fs.rmSync(cachedBin, { force: true });
    }
  }

  // 3. Build.
  await build({ version, key, patchFile, cacheDir, cachedBin });
  installBinary(cachedBin, key);
  await verify(INSTALLED_BIN);
}

async function build({ patchFile, cacheDir, cachedBin }) {
  ensurePackages();

  const buildRoot = path.join(path.dirname(cacheDir), `.build-${path.basename(cacheDir)}`);
  const src = path.join(buildRoot, 'worker');
  const logDir = path.join(buildRoot, 'logs');

  let t = phaseStart('copy', `worker sources -> ${src}`);
  fs.rmSync(buildRoot, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  // out/ is mediasoup's build output (maybe a downloaded worker), not source.
  fs.cpSync(WORKER_SRC, src, {
    recursive: true,
    filter: (from) => path.relative(WORKER_SRC, from) !== 'out',
  });
  phaseEnd('copy', t);

  t = phaseStart('patch', path.relative(ROOT, patchFile));
  await run('patch', 'patch', ['-p1', '--forward', '--batch', '-i', patchFile], { cwd: src, logDir });
  phaseEnd('patch', t);

  t = phaseStart('subprojects', 'replacing the .wrap files with stubs for Debian\'s libraries');
  const subDir = path.join(src, 'subprojects');
  const wraps = fs.readdirSync(subDir).filter((f) => f.endsWith('.wrap'));
  for (const wrap of wraps) fs.rmSync(path.join(subDir, wrap));
  const stubs = fs.readdirSync(SUBPROJECTS_DIR);
  for (const stub of stubs) {
    fs.cpSync(path.join(SUBPROJECTS_DIR, stub), path.join(subDir, stub), { recursive: true });
  }
  phaseEnd('subprojects', t, `removed ${wraps.join(' ')}; stubs: ${stubs.join(' ')}`);

  t = phaseStart('meson setup', '--wrap-mode=nodownload --buildtype=release -Db_ndebug=true');
  await run(
    'meson setup',
    'meson',
    ['setup', '--wrap-mode=nodownload', '--buildtype=release', '-Db_ndebug=true', 'build'],
    { cwd: src, logDir },
  );
  phaseEnd('meson setup', t);

  const buildDir = path.join(src, 'build');
  const jobs = Number(process.env.MEDIASOUP_BUILD_JOBS) || os.availableParallelism?.() || os.cpus().length;

  t = phaseStart('flatbuffers', 'generating fbs/FBS/*.h with flatc');
  const targets = spawnSync('ninja', ['-C', buildDir, '-t', 'targets', 'all'], { encoding: 'utf8' });
  const fbsHeaders = (targets.stdout ?? '')
    .split('\n')
    .filter((l) => /^fbs\/.*\.h: CUSTOM_COMMAND/.test(l))
    .map((l) => l.split(':')[0]);
  if (fbsHeaders.length === 0) {
    throw new PhaseError('flatbuffers', 'no fbs/*.h targets in the ninja build', (targets.stderr ?? '').split('\n'));
  }
  await run('flatbuffers', 'ninja', ['-C', buildDir, ...fbsHeaders], { logDir });
  phaseEnd('flatbuffers', t, `${fbsHeaders.length} headers`);

  t = phaseStart('compile', `ninja -j${jobs} mediasoup-worker (about 10-17 minutes on 2 cores)`);
  let lastPrint = Date.now();
  let nextPct = 10;
  await run('compile', 'ninja', ['-C', buildDir, `-j${jobs}`, 'mediasoup-worker'], {
    logDir,
    onLine: (line) => {
      const m = /^\[(\d+)\/(\d+)\]\s*(.*)$/.exec(line);
      if (!m) return;
      const done = Number(m[1]);
      const total = Number(m[2]);
      const pct = Math.floor((done * 100) / total);
      if (pct >= nextPct || Date.now() - lastPrint >= 30_000 || done === total) {
        lastPrint = Date.now();
        while (nextPct <= pct) nextPct += 10;
        log(`compile: ${done}/${total} (${pct}%) ${m[3].split(/[\s/]/).pop()}`);
      }
    },
  });
  phaseEnd('compile', t);

  t = phaseStart('strip', 'strip -> cache (temp file + rename)');
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cachedBin}.tmp-${process.pid}`;
  fs.copyFileSync(path.join(buildDir, 'mediasoup-worker'), tmp);
  try {
    await run('strip', 'strip', [tmp], { logDir });
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, cachedBin);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  phaseEnd('strip', t, `${sizeMb(cachedBin)} MB`);

  // The build tree is a few hundred MB; the binary is in the cache now.
  log(`removing the build tree ${buildRoot}`);
  fs.rmSync(buildRoot, { recursive: true, force: true });
}

// Packages ------------------------------------------------------------------

function ensurePackages() {
  const t = phaseStart('packages', `checking ${BUILD_PACKAGES.length} Debian packages`);
  if (spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new PhaseError(
      'packages',
      `dpkg-query not found: this script builds against Debian's packages (${BUILD_PACKAGES.join(' ')})`,
    );
  }
  const missing = BUILD_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length === 0) {
    phaseEnd('packages', t, 'all present');
    return;
  }
  if (process.getuid?.() !== 0) {
    console.error(`missing Debian packages: ${missing.join(' ')}`);
    console.error(`install them with:\n  sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
    throw new PhaseError('packages', `${missing.length} package(s) missing and not running as root`);
  }
  log(`packages: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (args) => spawnSync('apt-get', args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const install = () => aptGet(['install', '-y', '--no-install-recommends', ...missing]);
  const tail = (r) => `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-40);
  let result = aptListsEmpty() ? null : install();
  if (result === null || result.status !== 0) {
    log('packages: apt-get update');
    const update = aptGet(['update']);
    if (update.status !== 0) throw new PhaseError('packages', 'apt-get update failed', tail(update));
    result = install();
  }
  if (result.status !== 0) throw new PhaseError('packages', 'apt-get install failed', tail(result));
  const still = missing.filter((p) => !isInstalled(p));
  if (still.length > 0) throw new PhaseError('packages', `still missing after apt-get install: ${still.join(' ')}`);
  phaseEnd('packages', t, `installed ${missing.join(' ')}`);
}

function isInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'install ok installed';
}

function aptListsEmpty() {
  try {
    return !fs.readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages') || f.endsWith('_Packages.lz4'));
  } catch {
    return true;
  }
}

function missingSharedLibraries(bin) {
  const r = spawnSync('ldd', [bin], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim().split(/\s+/)[0]);
}

// Install and verify ----------------------------------------------------------

function installBinary(from, key) {
  const t = phaseStart('install', `-> ${path.relative(ROOT, INSTALLED_BIN)}`);
  atomicCopy(from, INSTALLED_BIN);
  fs.writeFileSync(INSTALLED_KEY_FILE, `${key}\n`);
  phaseEnd('install', t, `${sizeMb(INSTALLED_BIN)} MB`);
}

// Copy to a temp file beside the target, chmod 755, rename over the target: a
// reader (or a running worker) never sees a half-written binary.
function atomicCopy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const tmp = `${to}.tmp-${process.pid}`;
  try {
    fs.copyFileSync(from, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, to);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

// The check mediasoup itself would make: start a worker from `bin`, create a
// router with Opus and VP8 and a WebRtcTransport on 127.0.0.1, close.
async function verify(bin, { useEnvBin = false } = {}) {
  const t = phaseStart('verify', 'createWorker, createRouter (Opus, VP8), createWebRtcTransport on 127.0.0.1');
  const script = `
    const mediasoup = await import('mediasoup');
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    const router = await worker.createRouter({
      mediaCodecs: [
        { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
        { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
      ],
    });
    const transport = await router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
    });
    const port = transport.iceCandidates[0]?.port;
    transport.close();
    router.close();
    worker.close();
    console.log(JSON.stringify({ version: mediasoup.version, port }));
  `;
  const env = { ...process.env };
  if (!useEnvBin) delete env.MEDIASOUP_WORKER_BIN;
  const r = await collect(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new PhaseError('verify', `mediasoup could not use ${bin} (exit ${r.code ?? r.signal})`, r.lines.slice(-40));
  }
  phaseEnd('verify', t, r.lines.filter((l) => l.startsWith('{')).pop() ?? '');
  console.log(`mediasoup worker OK: ${bin} (${sizeMb(bin)} MB)`);
}

// Helpers ----------------------------------------------------------------------

function phaseStart(phase, what) {
  log(`${phase}: ${what}`);
  return Date.now();
}

function phaseEnd(phase, t, note = '') {
  log(`${phase}: done in ${((Date.now() - t) / 1000).toFixed(1)}s${note ? ` (${note})` : ''}`);
}

// Runs a command, its output into <logDir>/<phase>.log; throws a PhaseError with
// the last 40 lines if it fails.
async function run(phase, cmd, args, { cwd, logDir, onLine } = {}) {
  const logFile = path.join(logDir, `${phase.replace(/\s+/g, '-')}.log`);
  const r = await collect(cmd, args, { cwd, logFile, onLine });
  if (r.code !== 0) {
    const why = r.error ? r.error.message : `${cmd} exited with ${r.code ?? r.signal}`;
    throw new PhaseError(phase, why, r.lines.slice(-40), logFile);
  }
}

function collect(cmd, args, { cwd, env, logFile, onLine, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const out = logFile ? fs.createWriteStream(logFile) : null;
    const lines = [];
    let partial = '';
    let error = null;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    const onData = (chunk) => {
      out?.write(chunk);
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      error = err;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (partial) lines.push(partial);
      if (error) lines.push(String(error));
      out?.end();
      resolve({ code: error ? -1 : code, signal, lines, error });
    });
  });
}

function recipeHash(patchFile) {
  const files = [patchFile, ...listFiles(SUBPROJECTS_DIR)].sort();
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(HERE, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

function cacheBase() {
  return process.env.XDG_CACHE_HOME || path.join(process.env.HOME || os.homedir(), '.cache');
}

function readInstalledKey() {
  try {
    return fs.readFileSync(INSTALLED_KEY_FILE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function sizeMb(file) {
  return (fs.statSync(file).size / 1e6).toFixed(1);
}

function briefly(err) {
  return err instanceof PhaseError ? `${err.message}; ${err.tail.filter(Boolean).slice(-1)[0] ?? ''}` : String(err);
}
