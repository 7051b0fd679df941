// The quality badge: a coloured dot and "Good", "Fair", "Poor" or "Reconnecting", with the
// figures behind the verdict in its tooltip. Hidden until something was measured.
// "Reconnecting" also shows, whatever was measured last, while the call's signaling
// connection is being re-established: old figures say nothing about a link that is down.
import { el } from './dom.js';
import { GOOD_QUALITY, limitingFigures, POOR_QUALITY, type Quality, type QualityInputs } from '../call/stats/quality.js';
import type { LinkQuality } from '../call/stats/report.js';

const LABELS: Record<Quality, string> = { good: 'Good', fair: 'Fair', poor: 'Poor', reconnecting: 'Reconnecting', unknown: 'Measuring' };

export class QualityBadge {
  readonly element: HTMLSpanElement;
  private readonly label = el('span', { class: 'quality-label' });
  private link: LinkQuality | undefined;
  private subject = '';
  private signalingDown = false;

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
    this.link = link;
    this.subject = subject;
    this.render();
  }

  /** While the call's signaling connection is down, the badge says "Reconnecting". */
  setSignalingDown(down: boolean): void {
    this.signalingDown = down;
    this.render();
  }

  private render(): void {
    const quality: Quality = this.signalingDown ? 'reconnecting' : (this.link?.quality ?? 'unknown');
    this.element.dataset.quality = quality;
    this.element.hidden = quality === 'unknown';
    this.label.textContent = LABELS[quality];
    if (this.signalingDown) this.element.title = 'Reconnecting: the connection to the server was lost; the page is getting it back.';
    else this.element.title = this.link ? qualityTooltip(this.link, this.subject) : '';
  }
}

const FIGURE_NAMES: Record<Exclude<keyof QualityInputs, 'down'>, string> = {
  lossPercent: 'loss',
  rttMs: 'round trip',
  jitterMs: 'jitter',
  jitterBufferMs: 'jitter buffer',
  freezes: 'freezes',
  fps: 'frame rate',
};

export function qualityTooltip(link: LinkQuality, subject: string): string {
  if (link.quality === 'reconnecting') return `Reconnecting: the media path ${subject} is down; the browser is trying to restore it.`;
  const figures = [
    link.lossPercent !== undefined ? `loss ${link.lossPercent.toFixed(1)} %` : undefined,
    link.rttMs !== undefined ? `round trip ${Math.round(link.rttMs)} ms` : undefined,
    link.jitterMs !== undefined ? `jitter ${link.jitterMs.toFixed(1)} ms` : undefined,
    link.jitterBufferMs !== undefined ? `jitter buffer ${Math.round(link.jitterBufferMs)} ms` : undefined,
    link.freezes !== undefined ? `${link.freezes} video ${link.freezes === 1 ? 'freeze' : 'freezes'}` : undefined,
    link.fps !== undefined ? `${Math.round(link.fps)} frames/s` : undefined,
  ].filter((f) => f !== undefined);
  const limiting = limitingFigures(link).map((f) => FIGURE_NAMES[f]);
  const why = limiting.length > 0 ? `\nHeld back by: ${limiting.join(', ')}.` : '';
  const g = GOOD_QUALITY;
  const p = POOR_QUALITY;
  const rule =
    `Good: loss < ${g.lossPercent} %, round trip < ${g.rttMs} ms, jitter < ${g.jitterMs} ms, jitter buffer < ${g.jitterBufferMs} ms, no freeze, ≥ ${g.fps} frames/s. ` +
    `Poor: loss ≥ ${p.lossPercent} %, round trip ≥ ${p.rttMs} ms, jitter ≥ ${p.jitterMs} ms, jitter buffer ≥ ${p.jitterBufferMs} ms, ≥ ${p.freezes} freezes in a reading, or < ${p.fps} frames/s.`;
  return `${LABELS[link.quality]} connection ${subject}${figures.length > 0 ? `: ${figures.join(', ')}` : ''}${why}\n${rule}`;
}
