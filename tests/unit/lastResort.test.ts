// The process's last resort: an error nothing closer caught is a JSON line and a count,
// never a silent death; an uncaught exception also starts the graceful drain.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../signaling/log.js';
import { handleLastResortErrors, type LastResortSource } from '../../server/lastResort.js';

function installed(): { proc: EventEmitter; lines: Array<Record<string, unknown>>; counts: LastResortSource[]; drains: Array<[string, number]> } {
  const proc = new EventEmitter();
  const lines: Array<Record<string, unknown>> = [];
  const counts: LastResortSource[] = [];
  const drains: Array<[string, number]> = [];
  handleLastResortErrors(
    {
      log: createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      count: (source) => counts.push(source),
      drain: (reason, exitCode) => drains.push([reason, exitCode]),
    },
    proc,
  );
  return { proc, lines, counts, drains };
}

describe('handleLastResortErrors', () => {
  it('logs and counts an unhandled rejection, and keeps serving', () => {
    const { proc, lines, counts, drains } = installed();
    proc.emit('unhandledRejection', new TypeError('x is undefined'), Promise.resolve());
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'unhandled rejection', source: 'unhandled_rejection', error: 'TypeError: x is undefined' })]);
    expect(counts).toEqual(['unhandled_rejection']);
    expect(drains).toEqual([]);
  });

  it('logs and counts an uncaught exception with its stack, then drains with exit code 1', () => {
    const { proc, lines, counts, drains } = installed();
    proc.emit('uncaughtException', new RangeError('Maximum call stack size exceeded'), 'uncaughtException');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'uncaught exception; draining', error: 'RangeError: Maximum call stack size exceeded', stack: expect.stringContaining('RangeError') }),
    ]);
    expect(counts).toEqual(['uncaught_exception']);
    expect(drains).toEqual([['uncaughtException', 1]]);
  });

  it('describes a thrown non-error by its kind only', () => {
    const { proc, lines } = installed();
    proc.emit('unhandledRejection', { token: 'secret' }, Promise.resolve());
    expect(lines[0]).toMatchObject({ error: 'a value of type object' });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
  });

  it('still drains when the log and the count fail', () => {
    const proc = new EventEmitter();
    const drains: string[] = [];
    const broken = (): never => {
      throw new Error('broken');
    };
    handleLastResortErrors({ log: { debug: broken, info: broken, warn: broken, error: broken }, count: broken, drain: (reason) => drains.push(reason) }, proc);
    expect(() => proc.emit('uncaughtException', new Error('bug'), 'uncaughtException')).not.toThrow();
    expect(drains).toEqual(['uncaughtException']);
  });
});
