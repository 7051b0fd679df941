// The quality badge: a coloured dot and "Good", "Fair" or "Poor", with the figures behind
// the verdict in its tooltip. Hidden until something was measured.
import { el } from './dom.js';
import { GOOD_QUALITY, POOR_QUALITY, type Quality } from './stats/quality.js';
import type { LinkQuality } from './stats/report.js';

const LABELS: Record<Quality, string> = { good: 'Good', fair: 'Fair', poor: 'Poor', unknown: 'Measuring' };

export class QualityBadge {
  readonly element: HTMLSpanElement;
  private readonly label = el('span', { class: 'quality-label' });

  /** `testId` tells tile badges (quality-badge) from the stats panel's. */
  constructor(testId = 'quality-badge', extraClass = '') {
    this.element = el(
      'span',
      { class: `quality-badge ${extraClass}`.trim(), 'data-testid': testId, 'data-quality': 'unknown', role: 'status' },
      el('span', { class: 'quality-dot', 'aria-hidden': 'true' }),
      this.label,
    );
    this.element.hidden = true;
  }

  /** Shows the verdict for `link`; `subject` names the link in the tooltip ("from Bob"). */
  update(link: LinkQuality | undefined, subject: string): void {
    const quality = link?.quality ?? 'unknown';
    this.element.dataset.quality = quality;
    this.element.hidden = quality === 'unknown';
    this.label.textContent = LABELS[quality];
    this.element.title = link ? qualityTooltip(link, subject) : '';
  }
}

export function qualityTooltip(link: LinkQuality, subject: string): string {
  const figures = [
    link.lossPercent !== undefined ? `loss ${link.lossPercent.toFixed(1)} %` : undefined,
    link.rttMs !== undefined ? `round trip ${Math.round(link.rttMs)} ms` : undefined,
    link.jitterMs !== undefined ? `jitter ${link.jitterMs.toFixed(1)} ms` : undefined,
  ].filter((f) => f !== undefined);
  const rule = `Good: loss < ${GOOD_QUALITY.lossPercent} %, round trip < ${GOOD_QUALITY.rttMs} ms, jitter < ${GOOD_QUALITY.jitterMs} ms. ` +
    `Poor: loss ≥ ${POOR_QUALITY.lossPercent} %, round trip ≥ ${POOR_QUALITY.rttMs} ms or jitter ≥ ${POOR_QUALITY.jitterMs} ms.`;
  return `${LABELS[link.quality]} connection ${subject}${figures.length > 0 ? `: ${figures.join(', ')}` : ''}\n${rule}`;
}
