// The Dockerfile, checked without a container engine: the Docker language server's
// validator (dockerfile-utils) lints it, and the tests read its instructions for what the
// image promises. tests/deploy/image.test.ts runs what it builds.
import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { DockerIgnore, copySpec, execForm, healthcheck, instructions, readDockerfile, runCommands, stage, stageEnv } from './support/dockerfile.js';
import { BUILD_STAGE, RUNTIME_STAGE } from './support/localImage.js';

/** The current Node LTS line, on Debian bookworm's slim variant. */
const LTS_IMAGE = 'node:24-bookworm-slim';

const { text, stages } = readDockerfile();
const build = stage(stages, BUILD_STAGE);
const runtime = stage(stages, RUNTIME_STAGE);
const args = (keyword: string): string[] => instructions(runtime, keyword).flatMap((i) => i.getArguments().map((a) => a.getValue()));

describe('Dockerfile', () => {
  it('passes the dockerfile-utils linter without a diagnostic', () => {
    const diagnostics = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  it(`is multi-stage on ${LTS_IMAGE}, and the runtime stage is the last`, () => {
    expect(stages.map((s) => s.name)).toEqual([BUILD_STAGE, RUNTIME_STAGE]);
    for (const s of stages) expect(s.image, s.name).toBe(LTS_IMAGE);
  });

  it('builds with `npm run build`’s command, then drops development dependencies', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const commands = runCommands(build);
    expect(commands[0]).toMatch(/^npm ci\b/);
    expect(commands).toContain(pkg.scripts.build);
    expect(commands.at(-1)).toMatch(/^npm (prune --omit=dev|ci --omit=dev)\b/);
    // The bundle the runtime stage starts is the one scripts/build.mjs writes.
    expect(readFileSync('scripts/build.mjs', 'utf8')).toContain("outfile: 'dist/main.js'");
  });

  it('copies only the built bundle and production dependencies into the runtime stage', () => {
    const copies = instructions(runtime, 'COPY').map(copySpec);
    expect(copies.map((c) => c.from)).toEqual(copies.map(() => BUILD_STAGE));
    expect(copies.flatMap((c) => c.sources).sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    // The runtime stage installs tini and the mediasoup worker's shared libraries
    // (scripts/mediasoup/README.md), and no toolchain.
    for (const command of runCommands(runtime)) {
      const installed = /apt-get install ([^&]*)/.exec(command)?.[1]?.split(/\s+/).filter((w) => w && !w.startsWith('-'));
      expect(installed ?? [], command).toEqual(['tini', 'libuv1', 'libssl3', 'libsrtp2-1', 'libabsl20220623']);
    }
  });

  it('runs as a non-root user, under tini, with production defaults in ENV', () => {
    const users = args('USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    const keywords = runtime.instructions.map((i) => i.getKeyword());
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
    expect(execForm(instructions(runtime, 'ENTRYPOINT')[0]!)).toEqual(['/usr/bin/tini', '--']);
    expect(execForm(instructions(runtime, 'CMD')[0]!)).toEqual(['node', 'dist/main.js']);
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(stageEnv(runtime)).toMatchObject({ NODE_ENV: 'production', PORT: '8080', RTC_MIN_PORT: '40000', RTC_MAX_PORT: '40100' });
  });

  it('exposes the HTTP port and the UDP range its ENV defaults name', () => {
    const env = stageEnv(runtime);
    expect(args('EXPOSE').sort()).toEqual([`${env.PORT}/tcp`, `${env.RTC_MIN_PORT}-${env.RTC_MAX_PORT}/udp`].sort());
  });

  it('checks its health on /healthz with node (slim images have no curl)', () => {
    const checks = instructions(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const { options, command } = healthcheck(checks[0]!);
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain("'/healthz'");
    expect(Object.keys(options).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
  });
});

describe('.dockerignore', () => {
  const ignore = DockerIgnore.read();

  it('keeps the sources the build reads and leaves out dependencies, output, tests and git', () => {
    for (const kept of ['package.json', 'package-lock.json', '.npmrc', 'scripts/build.mjs', 'scripts/mediasoup/build.mjs', 'server/main.ts', 'signaling/protocol.ts', 'client/index.html']) {
      expect(ignore.excludes(kept), kept).toBe(false);
    }
    for (const left of ['node_modules/ws/index.js', 'dist/main.js', 'tests/unit/config.test.ts', '.git/HEAD', 'deploy/compose/docker-compose.yml', '.env', 'server/.env', 'server/x.log']) {
      expect(ignore.excludes(left), left).toBe(true);
    }
  });
});
