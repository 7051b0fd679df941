// The data channel bounds of one participant (server/sfu/dataBudget.ts): a few streams,
// messages up to a size, a byte rate with a burst; drops are counted, and a participant
// that keeps breaking them is reported once.
import { describe, expect, it } from 'vitest';
import { DataBudget, DEFAULT_DATA_LIMITS, newDataTotals } from '../../server/sfu/dataBudget.js';

function budget(overrides: Partial<typeof DEFAULT_DATA_LIMITS> = {}) {
  let now = 0;
  const totals = newDataTotals();
  const abuse: string[] = [];
  const b = new DataBudget({ ...DEFAULT_DATA_LIMITS, ...overrides }, totals, (r) => abuse.push(r), () => now);
  return { b, totals, abuse, advance: (ms: number) => (now += ms) };
}

describe('DataBudget', () => {
  it('admits the two probe streams and two more, then drops a fifth stream', () => {
    const { b, totals } = budget();
    expect([0, 1, 7, 9].map((s) => b.admitStream(s))).toEqual([true, true, true, true]);
    expect(b.admitStream(10)).toBe(false);
    expect(b.admitStream(7)).toBe(true);
    expect(totals.dropped.stream).toBe(1);
  });

  it('drops what is over 16 KB per message', () => {
    const { b, totals } = budget();
    expect(b.admitSize(16_384, 1200)).toBe(true);
    expect(b.admitSize(16_385, 1200)).toBe(false);
    expect(totals.dropped.size).toBe(1);
    expect(totals.droppedBytes).toBe(1200);
  });

  it('allows the burst at once, then the rate', () => {
    const { b, advance } = budget();
    for (let sent = 0; sent < DEFAULT_DATA_LIMITS.dataBurstBytes; sent += 1024) expect(b.admitBytes(1024)).toBe(true);
    expect(b.admitBytes(1024)).toBe(false);
    advance(1000);
    for (let sent = 0; sent < DEFAULT_DATA_LIMITS.dataRateBytesPerSecond; sent += 1024) expect(b.admitBytes(1024)).toBe(true);
    expect(b.admitBytes(1024)).toBe(false);
  });

  it('reports a participant once when it keeps breaking the bounds within 10 s, not when drops are spread out', () => {
    const spread = budget({ dataAbuseDrops: 4 });
    for (let i = 0; i < 10; i++) {
      spread.b.admitSize(100_000, 1);
      spread.advance(4000);
    }
    expect(spread.abuse).toEqual([]);
    const abusive = budget({ dataAbuseDrops: 4 });
    for (let i = 0; i < 10; i++) abusive.b.admitSize(100_000, 1);
    expect(abusive.abuse).toHaveLength(1);
    expect(abusive.totals.abusers).toBe(1);
  });

  it('charges bytes that already went through and counts what is over the rate as drops', () => {
    const { b, totals, abuse } = budget({ dataAbuseDrops: 64 });
    b.charge(DEFAULT_DATA_LIMITS.dataBurstBytes, 1200);
    expect(totals.dropped.rate).toBe(0);
    b.charge(120_000, 1200);
    expect(totals.dropped.rate).toBe(100);
    expect(abuse).toHaveLength(1);
  });
});
