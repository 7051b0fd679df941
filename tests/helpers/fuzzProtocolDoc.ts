// The codes signaling/PROTOCOL.md documents, read from the document itself: the fuzz suite
// accepts exactly what a client developer can look up, so a code added to the server
// without a row in the doc fails it, and a code added with one passes without a test edit.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface DocumentedCodes {
  /** Error codes (`BAD_JSON`, ...): the first cell of a table row, in backticks, upper case. */
  errors: ReadonlySet<string>;
  /** WebSocket close codes: the first cell of a table row, a number from 1000 to 4999. */
  closes: ReadonlySet<number>;
  /** HTTP statuses the doc names for a refused upgrade or request ("HTTP 404", "413"). */
  httpStatuses: ReadonlySet<number>;
}

export function documentedCodes(file = path.resolve('signaling/PROTOCOL.md')): DocumentedCodes {
  const text = readFileSync(file, 'utf8');
  const errors = new Set<string>();
  const closes = new Set<number>();
  const httpStatuses = new Set<number>();
  for (const line of text.split('\n')) {
    const firstCell = /^\|\s*([^|]+?)\s*\|/.exec(line)?.[1];
    if (firstCell === undefined) continue;
    const error = /^`([A-Z][A-Z0-9_]+)`$/.exec(firstCell)?.[1];
    if (error) errors.add(error);
    if (/^[1-4]\d{3}$/.test(firstCell)) closes.add(Number(firstCell));
  }
  // A 4xx/5xx number counts as a status where the words just before it say so.
  for (const match of text.matchAll(/\b([45]\d\d)\b/g)) {
    const before = text.slice(Math.max(0, match.index - 60), match.index);
    if (/HTTP|refuse|answers/.test(before)) httpStatuses.add(Number(match[1]));
  }
  return { errors, closes, httpStatuses };
}
