// The structured logger: one JSON line per call, and nothing a caller passes in can make
// a line unbounded.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lineWriter, MAX_FIELD_CHARS } from '../../signaling/log.js';

function capture(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the message and fields', () => {
    const out = capture();
    createLogger('info', out.write).info('participant joined', { room: 'demo', participant: 'p1' });
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 'info', msg: 'participant joined', room: 'demo', participant: 'p1' });
  });

  it('cuts a string field that is longer than the bound', () => {
    const out = capture();
    createLogger('info', out.write).warn('refused', { error: 'x'.repeat(100_000) });
    const error = (JSON.parse(out.lines[0]!) as { error: string }).error;
    expect(error.length).toBe(MAX_FIELD_CHARS);
  });
});

describe('lineWriter', () => {
  /** A stream whose reader went away: every write fails with EPIPE, as stdout does then. */
  function closedPipe(): Writable & { attempts: number } {
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        stream.attempts++;
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
      },
    }) as Writable & { attempts: number };
    stream.attempts = 0;
    return stream;
  }

  it('an EPIPE on the log stream ends the logging, not the process', async () => {
    const stream = closedPipe();
    const log = createLogger('info', lineWriter(stream));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      log.info('first line');
      await new Promise((resolve) => setImmediate(resolve));
      log.info('after the reader went away');
      log.error('and another');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(stream.attempts).toBe(1);
    expect(stream.listenerCount('error')).toBe(1);
  });

  it('watches each stream once, however many loggers write to it', () => {
    const stream = new Writable({ write: (_c, _e, callback) => callback() });
    for (let i = 0; i < 20; i++) createLogger('info', lineWriter(stream)).info('line');
    expect(stream.listenerCount('error')).toBe(1);
  });
});
