// The load generator's report: counts that add up, a table with the percentiles, and a
// progress line the bench can read.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../loadtest/metrics.js';
import { parseLoadArgs, type LoadOptions } from '../../loadtest/options.js';
import { buildReport, formatProgress, formatReport } from '../../loadtest/report.js';

function options(): LoadOptions {
  const parsed = parseLoadArgs(['--url', 'ws://127.0.0.1:1/ws', '--scenario', 'fanout', '--clients', '4', '--rooms', '1', '--jwt-secret', 'secret-that-must-not-leak']);
  if (!parsed.ok) throw new Error('bad options');
  return parsed.options;
}

function sampleMetrics(): Metrics {
  const m = new Metrics();
  for (let i = 0; i < 4; i++) {
    m.connectAttempts++;
    m.socketOpened();
    m.joins++;
    m.record('connect', 1 + i);
    m.record('join', 2 + i);
  }
  m.fanoutSent = 2;
  m.fanoutExpected = 6;
  m.fanoutDelivered = 5;
  m.fanoutFirstSendMs = 1000;
  m.fanoutLastDeliveryMs = 1500;
  for (let i = 0; i < 5; i++) m.record('fanout', 3);
  m.error('close:4005');
  m.error('response:FORBIDDEN');
  m.error('close:4005');
  m.framesSent = 10;
  m.framesReceived = 20;
  return m;
}

describe('load report', () => {
  const report = buildReport({ options: options(), metrics: sampleMetrics(), startedAt: new Date(0), elapsedMs: 2000, interrupted: false, joinedAtEnd: 4, heldAtEnd: 4, cpuPercent: 12.34 });

  it('adds up: missing is expected minus delivered, the error total is the sum by code', () => {
    expect(report.fanout).toMatchObject({ sent: 2, expectedDeliveries: 6, delivered: 5, missing: 1, windowMs: 500, sendsPerSecond: 4, deliveriesPerSecond: 10 });
    expect(report.errors).toEqual({ total: 3, byCode: { 'close:4005': 2, 'response:FORBIDDEN': 1 } });
    expect(report.clients).toEqual({ planned: 4, connectAttempts: 4, joins: 4, joinedAtEnd: 4, heldPeak: 4, heldAtEnd: 4 });
    expect(report.messages).toEqual({ sent: 10, received: 20, sentPerSecond: 5, receivedPerSecond: 10 });
    expect(report.latencyMs.join).toMatchObject({ count: 4, min: 2, max: 5 });
    expect(report.latencyMs.reconnect.count).toBe(0);
  });

  it('never carries the JWT secret', () => {
    expect(JSON.stringify(report)).not.toContain('secret-that-must-not-leak');
    expect(report.options.tokens).toBe('minted');
  });

  it('prints a table with p50/p90/p99/p99.9/max rows for what was measured only', () => {
    const text = formatReport(report);
    expect(text).toMatch(/latency, ms\s+count\s+p50\s+p90\s+p99\s+p99\.9\s+max/);
    expect(text).toMatch(/join \(arrival -> joined\)\s+4\s+/);
    expect(text).not.toContain('reconnect (drop');
    expect(text).toContain('5/6 deliveries (1 missing, 0 mismatched)');
    expect(text).toContain('errors: 3 (close:4005 (room full) 2, response:FORBIDDEN 1)');
  });

  it('prints progress as key=value pairs', () => {
    const line = formatProgress({ elapsedS: 3.04, planned: 10, joined: 7, held: 8, sentPerSecond: 12.4, receivedPerSecond: 99.6, errors: 1, headline: { name: 'join', p99: 4.2, count: 7 } });
    expect(line).toBe('t=3.0s joined=7/10 held=8 sent/s=12 recv/s=100 join.p99=4.20ms(n=7) errors=1');
  });
});
