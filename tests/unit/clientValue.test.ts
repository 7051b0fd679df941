// Client values in messages and logs: previews with a bound, and never a walk of a
// structure the client built (which can be deep enough to overflow the stack).
import { describe, expect, it } from 'vitest';
import { bounded, describeClientValue, errorText, PREVIEW_CHARS } from '../../signaling/clientValue.js';

describe('describeClientValue', () => {
  it('shows a short string, number or boolean as it is', () => {
    expect(describeClientValue('subscribe')).toBe('"subscribe"');
    expect(describeClientValue(42)).toBe('42');
    expect(describeClientValue(false)).toBe('false');
    expect(describeClientValue(null)).toBe('null');
    expect(describeClientValue(undefined)).toBe('nothing');
  });

  it('cuts a long string to the preview length', () => {
    const text = describeClientValue('x'.repeat(100_000));
    expect(text.length).toBeLessThanOrEqual(PREVIEW_CHARS + 2);
    expect(text.endsWith('…"')).toBe(true);
  });

  it('names only the kind of an array or object, however deep', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(describeClientValue(deep)).toBe('an array');
    expect(describeClientValue({ token: 'secret' })).toBe('a value of type object');
  });
});

describe('bounded', () => {
  it('leaves short text alone and marks a cut', () => {
    expect(bounded('abc', 3)).toBe('abc');
    expect(bounded('abcdef', 4)).toBe('abc…');
  });

  it('does not split a surrogate pair', () => {
    // 'a' then U+1F600 (two UTF-16 units): a cut after 2 units would leave half of it.
    expect(bounded('a\u{1F600}bcdef', 3)).toBe('a…');
  });
});

describe('errorText', () => {
  it('is the name and message of an error, bounded', () => {
    expect(errorText(new RangeError('too deep'))).toBe('RangeError: too deep');
    expect(errorText(new Error('x'.repeat(10_000))).length).toBeLessThanOrEqual(200);
  });

  it('describes something thrown that is not an error without walking it', () => {
    expect(errorText('plain')).toBe('plain');
    expect(errorText({ deep: [[[]]] })).toBe('a value of type object');
  });
});
