// The node's media connection budget (server/sfu/connectionBudget.ts): a participant
// reserves a publisher and a subscriber connection as its grants allow; past the budget
// a join is refused with MEDIA_CAPACITY; werift's budget follows its port range.
import { describe, expect, it } from 'vitest';
import { ConnectionBudget, connectionsFor, weriftCapacity } from '../../server/sfu/connectionBudget.js';
import { refusalOf } from '../../signaling/mediaRefusal.js';

const BOTH = { publish: true, subscribe: true, admin: false };
const VIEWER = { publish: false, subscribe: true, admin: false };

describe('ConnectionBudget', () => {
  it('reserves two connections for a publishing subscriber and one for a viewer, and refuses past the budget', () => {
    const counts = { inUse: 0, budget: 0 };
    const budget = new ConnectionBudget(5, counts);
    expect(counts.budget).toBe(5);
    const a = budget.reserve(BOTH);
    budget.reserve(BOTH);
    const viewer = budget.reserve(VIEWER);
    expect(counts.inUse).toBe(5);
    let refused: unknown;
    try {
      budget.reserve(VIEWER);
    } catch (err) {
      refused = err;
    }
    expect(refusalOf(refused)).toMatchObject({ code: 'MEDIA_CAPACITY' });
    a.release();
    a.release();
    viewer.release();
    expect(counts.inUse).toBe(2);
    expect(() => budget.reserve(BOTH)).not.toThrow();
  });

  it('needs nothing for a participant without publish or subscribe grants', () => {
    expect(connectionsFor({ publish: false, subscribe: false, admin: true })).toBe(0);
  });
});

describe('weriftCapacity', () => {
  const rtc = { portRange: [40000, 40009] as [number, number], listenIp: '127.0.0.1', announcedIp: undefined, iceTcp: true };

  it('is the port range with one listen address, at most MAX_MEDIA_CONNECTIONS', () => {
    expect(weriftCapacity(rtc, 1000)).toBe(10);
    expect(weriftCapacity(rtc, 4)).toBe(4);
  });

  it('divides the range by the addresses werift gathers on without RTC_LISTEN_IP', () => {
    expect(weriftCapacity({ ...rtc, listenIp: undefined }, 1000, 2)).toBe(5);
  });

  it('is MAX_MEDIA_CONNECTIONS without a port range', () => {
    expect(weriftCapacity({ ...rtc, portRange: undefined }, 1000)).toBe(1000);
  });
});
