// Which code a measurement ran: the commit and the files changed in the working tree.
// Several people edit this checkout at once, so dist/ may hold work not yet committed.
import { spawnSync } from 'node:child_process';

export interface GitState {
  commit: string;
  /** `git status --porcelain` lines of tracked files that differ from the commit. */
  changed: string[];
}

export function gitState(): GitState {
  const git = (...args: string[]): string => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', 'HEAD'),
    changed: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean),
  };
}
