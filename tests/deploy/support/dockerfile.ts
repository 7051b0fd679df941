// The Dockerfile as data: its stages and their instructions, read with the parser of the
// Docker language server (dockerfile-ast), and the .dockerignore rules that decide what
// the build context holds.
import { readFileSync } from 'node:fs';
import { DockerfileParser, type Copy, type Env, type Healthcheck, type Instruction, type JSONInstruction } from 'dockerfile-ast';

export const DOCKERFILE = 'Dockerfile';
export const DOCKERIGNORE = '.dockerignore';

export interface Stage {
  /** `AS name`, or the index as a string for an unnamed stage. */
  name: string;
  image: string;
  instructions: Instruction[];
}

export function readDockerfile(path = DOCKERFILE): { text: string; stages: Stage[] } {
  const text = readFileSync(path, 'utf8');
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const words = (instruction.getArgumentsContent() ?? '').split(/\s+/).filter((w) => !w.startsWith('--'));
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ name: asIndex >= 0 ? (words[asIndex + 1] ?? '') : String(stages.length), image: words[0] ?? '', instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.instructions.push(instruction);
  }
  return { text, stages };
}

export function stage(stages: Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage "${name}"; stages: ${stages.map((s) => s.name).join(', ')}`);
  return found;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

/** The shell command of each RUN, continuation lines joined as the shell sees them. */
export function runCommands(stage: Stage): string[] {
  return instructions(stage, 'RUN').map((i) => (i.getArgumentsContent() ?? '').replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim());
}

/** ENTRYPOINT and CMD in JSON (exec) form: the argument vector. */
export function execForm(instruction: Instruction): string[] {
  const strings = (instruction as JSONInstruction).getJSONStrings?.();
  if (!strings || strings.length === 0) throw new Error(`${instruction.getKeyword()} is not in exec form: ${instruction.getArgumentsContent()}`);
  return strings.map((s) => s.getJSONValue());
}

/** HEALTHCHECK's options and its CMD, which must be in exec form. */
export function healthcheck(instruction: Instruction): { options: Record<string, string>; command: string[] } {
  const check = instruction as Healthcheck;
  const options = Object.fromEntries(check.getFlags().map((f) => [f.getName(), f.getValue() ?? '']));
  const content = check.getArgumentsContent() ?? '';
  const at = content.search(/\bCMD\b/);
  if (at < 0) throw new Error(`HEALTHCHECK without CMD: ${content}`);
  const command: unknown = JSON.parse(content.slice(at + 3).trim());
  if (!Array.isArray(command) || !command.every((a) => typeof a === 'string')) throw new Error(`HEALTHCHECK CMD is not in exec form: ${content}`);
  return { options, command };
}

/** ENV in the stage, in order (later ones win). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructions(stage, 'ENV')) {
    for (const property of (instruction as Env).getProperties()) {
      env[property.getName()] = property.getValue() ?? '';
    }
  }
  return env;
}

export interface CopySpec {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copySpec(instruction: Instruction): CopySpec {
  const copy = instruction as Copy;
  const from = copy.getFromFlag()?.getValue() ?? undefined;
  const words = copy
    .getArguments()
    .map((a) => a.getValue())
    .filter((w) => !w.startsWith('--'));
  const destination = words.pop();
  if (!destination || words.length === 0) throw new Error(`COPY needs sources and a destination: ${copy.getArgumentsContent()}`);
  return { from, sources: words, destination };
}

/**
 * .dockerignore as Docker applies it: a path is left out when the last pattern matching it
 * or one of its parent folders is not a `!` exception.
 */
export class DockerIgnore {
  private readonly rules: { exclude: boolean; source: string; regex: RegExp }[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exclude = !line.startsWith('!');
        const source = clean(exclude ? line : line.slice(1));
        return { exclude, source, regex: globToRegex(source) };
      });
  }

  static read(path = DOCKERIGNORE): DockerIgnore {
    return new DockerIgnore(readFileSync(path, 'utf8'));
  }

  excludes(relativePath: string): boolean {
    const parts = clean(relativePath).split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of this.rules) {
      if (candidates.some((c) => rule.regex.test(c))) excluded = rule.exclude;
    }
    return excluded;
  }

  /** Whether an exception might let in something below this (excluded) folder. */
  mayIncludeBelow(relativeDir: string): boolean {
    const dir = clean(relativeDir);
    return this.rules.some((r) => !r.exclude && (r.source.startsWith(`${dir}/`) || r.source.includes('*')));
  }
}

function clean(pattern: string): string {
  return pattern.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/\.\//g, '/');
}

function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i += 1;
      if (glob[i + 1] === '/') {
        i += 1;
        out += '(?:.*/)?';
      } else {
        out += '.*';
      }
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}
