import { describe, expect, it } from 'vitest';
import { diedOfStopSignal } from '../../server/mediasoup/workers.js';

describe('diedOfStopSignal', () => {
  it('reads a worker killed by SIGTERM or SIGINT, or exiting cleanly after handling one, as stopped', () => {
    expect(diedOfStopSignal(new Error('[pid:1, code:null, signal:SIGTERM]'))).toBe(true);
    expect(diedOfStopSignal(new Error('[pid:1, code:null, signal:SIGINT]'))).toBe(true);
    expect(diedOfStopSignal(new Error('[pid:27419, code:0, signal:null]'))).toBe(true);
  });

  it('reads a crash as a crash', () => {
    expect(diedOfStopSignal(new Error('[pid:1, code:null, signal:SIGKILL]'))).toBe(false);
    expect(diedOfStopSignal(new Error('[pid:1, code:1, signal:null]'))).toBe(false);
    expect(diedOfStopSignal(new Error('[pid:1, code:null, signal:SIGSEGV]'))).toBe(false);
  });
});
