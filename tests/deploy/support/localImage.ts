// The image, as near as this machine gets without a container engine: the build stage's
// COPY and RUN instructions are carried out as written, in a temporary folder standing in
// for /app, from a build context filtered by .dockerignore; the runtime stage's COPY
// --from=build lines then assemble the final tree. Nothing is rewritten by hand, so the
// test breaks when the Dockerfile and the project drift apart. What cannot be reproduced
// here (the base image's Node 24, apt inside the image) is listed in deploy/README.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerIgnore, copySpec, execForm, instructions, readDockerfile, stage, stageEnv, type Stage } from './dockerfile.js';

export const BUILD_STAGE = 'build';
export const RUNTIME_STAGE = 'runtime';

export interface LocalImage {
  root: string;
  /** The runtime stage's /app. */
  appDir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  /** Output of every RUN, for failure messages. */
  buildLog: string;
  remove(): void;
}

/** The environment a RUN or the container starts with: the host's PATH and HOME, nothing of the test runner's. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  // The host's extra certificate authorities (a registry proxy's): npm ci fetches through them.
  for (const key of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  return env;
}

export function buildLocalImage(repoRoot = process.cwd()): LocalImage {
  const { stages } = readDockerfile(path.join(repoRoot, 'Dockerfile'));
  const build = stage(stages, BUILD_STAGE);
  const runtime = stage(stages, RUNTIME_STAGE);
  if (stages.at(-1) !== runtime) throw new Error(`the last stage must be "${RUNTIME_STAGE}"`);

  const root = mkdtempSync(path.join(tmpdir(), 'rtc-sfu-image-'));
  const context = DockerIgnore.read(path.join(repoRoot, '.dockerignore'));
  const buildDir = path.join(root, 'build');
  const appDir = path.join(root, 'runtime');
  const buildWorkdir = workdir(build);
  let buildLog = '';

  mkdirSync(buildDir, { recursive: true });
  for (const instruction of build.instructions) {
    switch (instruction.getKeyword()) {
      case 'COPY': {
        const spec = copySpec(instruction);
        if (spec.from) throw new Error(`the build stage copies only from the context: ${instruction.getArgumentsContent()}`);
        for (const source of spec.sources) copyFromContext(repoRoot, context, source, path.join(buildDir, spec.destination), spec.sources.length > 1);
        break;
      }
      case 'RUN': {
        const command = (instruction.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
        const result = spawnSync('/bin/sh', ['-c', command], {
          cwd: buildDir,
          env: { ...baseEnv(), ...stageEnv(build) },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        buildLog += `$ ${command}\n${result.stdout}${result.stderr}\n`;
        if (result.status !== 0) throw new Error(`build stage: \`${command}\` failed (${result.status ?? result.signal}):\n${buildLog}`);
        break;
      }
      case 'WORKDIR':
      case 'ENV':
      case 'ARG':
        break;
      default:
        throw new Error(`the build stage has ${instruction.getKeyword()}, which this emulation does not know: keep it to WORKDIR, COPY, RUN, ENV, ARG`);
    }
  }

  mkdirSync(appDir, { recursive: true });
  for (const instruction of instructions(runtime, 'COPY')) {
    const spec = copySpec(instruction);
    if (spec.from !== BUILD_STAGE) throw new Error(`the runtime stage copies only from the build stage: ${instruction.getArgumentsContent()}`);
    for (const source of spec.sources) {
      const relative = path.posix.relative(buildWorkdir, source);
      if (relative.startsWith('..')) throw new Error(`COPY --from=build ${source}: outside the build stage's WORKDIR ${buildWorkdir}`);
      const from = path.join(buildDir, relative);
      if (!existsSync(from)) throw new Error(`COPY --from=build ${source}: the build stage did not produce it`);
      cpSync(from, path.join(appDir, spec.destination), { recursive: true, verbatimSymlinks: true });
    }
  }

  const [entrypoint] = instructions(runtime, 'ENTRYPOINT');
  const [cmd] = instructions(runtime, 'CMD');
  if (!entrypoint || !cmd) throw new Error('the runtime stage needs ENTRYPOINT and CMD');
  return {
    root,
    appDir,
    env: stageEnv(runtime),
    entrypoint: execForm(entrypoint),
    cmd: execForm(cmd),
    buildLog,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Starts ENTRYPOINT + CMD in the runtime tree with the image's ENV and these overrides. */
export function startContainer(image: LocalImage, overrides: Record<string, string>): ChildProcess {
  const [command, ...args] = [...image.entrypoint, ...image.cmd];
  if (!command || !existsSync(command)) throw new Error(`${command} is missing on this machine (apt-get install tini; .ci/run does)`);
  return spawn(command, args, {
    cwd: image.appDir,
    env: { ...baseEnv(), ...image.env, ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The processes working in `dir` or below it: a started container's tini, node and media
 * workers, whoever their parent is by now. tini puts its child in a process group of its
 * own, and a SIGKILLed tini forwards nothing, so neither the process group nor the parent
 * links find a node that outlived its tini; the working directory does.
 */
export function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      // Exited meanwhile, a zombie, or not ours to read.
      continue;
    }
    const live = cwd.replace(/ \(deleted\)$/, '');
    if (live === dir || live.startsWith(`${dir}${path.sep}`)) pids.push(Number(entry));
  }
  return pids;
}

function workdir(s: Stage): string {
  const dirs = instructions(s, 'WORKDIR').map((i) => i.getArgumentsContent() ?? '');
  if (dirs.length !== 1 || !dirs[0]?.startsWith('/')) throw new Error(`stage ${s.name} needs exactly one absolute WORKDIR, has: ${dirs.join(', ')}`);
  return dirs[0];
}

/** COPY <source> <destination> from the build context, as Docker does it. */
function copyFromContext(repoRoot: string, context: DockerIgnore, source: string, destination: string, destinationIsDir: boolean): void {
  if (/[*?[]/.test(source)) throw new Error(`COPY ${source}: wildcards are not emulated; name files and folders`);
  const relative = path.posix.normalize(source).replace(/^\.(\/|$)/, '').replace(/\/$/, '');
  const from = path.join(repoRoot, relative);
  if (relative !== '' && context.excludes(relative)) throw new Error(`COPY ${source}: .dockerignore leaves it out of the context`);
  if (!existsSync(from)) throw new Error(`COPY ${source}: not in the repository`);
  if (statSync(from).isDirectory()) {
    copyTree(repoRoot, context, relative, destination);
  } else {
    const target = destinationIsDir || destination.endsWith(path.sep) ? path.join(destination, path.basename(from)) : destination;
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(from, target);
  }
}

function copyTree(repoRoot: string, context: DockerIgnore, relativeDir: string, destination: string): void {
  mkdirSync(destination, { recursive: true });
  for (const entry of readdirSync(path.join(repoRoot, relativeDir), { withFileTypes: true })) {
    const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
    const target = path.join(destination, entry.name);
    if (entry.isDirectory()) {
      if (context.excludes(relative) && !context.mayIncludeBelow(relative)) continue;
      copyTree(repoRoot, context, relative, target);
    } else if (!context.excludes(relative)) {
      cpSync(path.join(repoRoot, relative), target);
    }
  }
}
