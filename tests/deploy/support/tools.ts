// The command-line tools the deployment checks run. A missing tool fails the test with
// how to install it: these checks never skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Ran {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed, failing with its output otherwise. */
export function runOk(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): string {
  const ran = run(command, args, options);
  if (ran.status !== 0) throw new Error(`\`${command} ${args.join(' ')}\` exited ${ran.status}:\n${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

export function requireCommand(command: string, install: string): string {
  const found = spawnSync('sh', ['-c', `command -v "${command}"`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${command} is not installed: ${install} (bash .ci/run installs it)`);
  return found;
}

/** Where .ci/run unpacks Debian's kubernetes-client when another kubectl owns /usr/bin/kubectl. */
export const LEGACY_KUBECTL = '/opt/kubernetes-client-1.20/usr/bin/kubectl';

export interface Kubectl {
  path: string;
  /** e.g. "v1.20.2" */
  version: string;
  /** e.g. "v2.0.3" (kubectl 1.20 does not print it; it embeds kustomize v2.0.3) */
  kustomize: string;
}

export function kubectlInfo(path: string): Kubectl {
  const out = runOk(path, ['version', '--client']);
  const version = /GitVersion:"(v[\d.]+)/.exec(out)?.[1] ?? /Client Version: (v[\d.]+)/.exec(out)?.[1];
  if (!version) throw new Error(`cannot read the version of ${path}: ${out}`);
  const kustomize = /Kustomize Version: (v[\d.]+)/.exec(out)?.[1] ?? (/^v1\.(1[4-9]|20)\./.test(version) ? 'v2.0.3' : 'unknown');
  return { path, version, kustomize };
}

/** The kubectl on PATH, and kubectl 1.20 (kustomize v2.0.3), the oldest the manifests must build with. */
export function kubectls(): { current: Kubectl; legacy: Kubectl } {
  const current = kubectlInfo(requireCommand('kubectl', 'apt-get install kubernetes-client'));
  if (current.kustomize === 'v2.0.3') return { current, legacy: current };
  const legacyPath = process.env.KUBECTL_LEGACY ?? LEGACY_KUBECTL;
  if (!existsSync(legacyPath)) {
    throw new Error(
      `kubectl 1.20 (kustomize v2.0.3) is needed to check the manifests still build with it, and ${legacyPath} is missing: ` +
        `apt-get download kubernetes-client && dpkg-deb -x kubernetes-client_*.deb /opt/kubernetes-client-1.20 (bash .ci/run does this)`,
    );
  }
  const legacy = kubectlInfo(legacyPath);
  if (legacy.kustomize !== 'v2.0.3') throw new Error(`${legacyPath} is ${legacy.version}, expected kubectl 1.20`);
  return { current, legacy };
}
