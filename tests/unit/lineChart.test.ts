// The stats charts' y axis is as wide as its widest label: a fixed 36 px axis cut "1,000"
// to ",000" (issue 14).
import { describe, expect, it } from 'vitest';
import { yAxisSize } from '../../client/ui/lineChart.js';

/** About system-ui at 11 px: 6.5 px a digit, 3 px a comma. */
const width = (label: string): number => [...label].reduce((w, ch) => w + (ch === ',' ? 3 : 6.5), 0);

describe('y axis width', () => {
  it('fits "1,000" and "10,000" with the tick and gap beside them', () => {
    for (const labels of [['0', '500', '1,000'], ['0', '5,000', '10,000']]) {
      const size = yAxisSize(labels, width);
      // tick 4 px + gap 5 px + the text must fit inside the axis.
      expect(size).toBeGreaterThanOrEqual(4 + 5 + Math.max(...labels.map(width)));
    }
  });

  it('keeps a minimum width, so charts with short labels still line up', () => {
    expect(yAxisSize(['0', '5'], width)).toBe(yAxisSize(['0', '10'], width));
    expect(yAxisSize(null, width)).toBeGreaterThan(0);
  });
});
