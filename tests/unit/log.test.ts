// The structured logger: one JSON line per call, and nothing a caller passes in can make
// a line unbounded.
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_FIELD_CHARS } from '../../signaling/log.js';

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
