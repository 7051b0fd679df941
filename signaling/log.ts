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

/** Streams a line writer knows to be broken (their reader went away), and which it already watches. */
const broken = new WeakSet<NodeJS.WritableStream>();
const watched = new WeakSet<NodeJS.WritableStream>();

/**
 * Writes each line to a stream (stdout unless given) until the stream fails. Without an
 * 'error' listener, an EPIPE on stdout (the log collector or the `| head` reading it went
 * away) is an uncaught error event and ends the process; here it only ends the logging.
 */
export function lineWriter(stream: NodeJS.WritableStream = process.stdout): (line: string) => void {
  if (!watched.has(stream)) {
    watched.add(stream);
    stream.on('error', () => broken.add(stream));
  }
  return (line) => {
    if (!broken.has(stream)) stream.write(`${line}\n`);
  };
}

export function createLogger(level: LogLevel, write: (line: string) => void = lineWriter()): Logger {
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
