// Structured logs: one JSON object per line, with room and participant ids where they
// apply. Tokens and secrets are never passed in.
import { bounded } from './clientValue.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
/** Longest string field written: a backstop, so a client value passed in by mistake cannot fill the log. */
export const MAX_FIELD_CHARS = 2000;

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
    if (rank[at] < rank[level]) return;
    const line: Record<string, unknown> = { t: new Date().toISOString(), level: at, msg };
    for (const [key, value] of Object.entries(fields ?? {})) line[key] = typeof value === 'string' ? bounded(value, MAX_FIELD_CHARS) : value;
    write(JSON.stringify(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
