// The admin's controls for the room's controlled impairment (packet loss, delay and
// jitter the SFU adds on the way to subscribers), and the words that describe it.
import type { ImpairmentSettings, MediaKind } from '../../signaling/protocol.js';
import { el } from './dom.js';

/** "10% loss, 100 ms delay on video to Bob". */
export function describeImpairment(settings: ImpairmentSettings, nameOf: (participantId: string) => string): string {
  const parts = [
    settings.lossPercent > 0 ? `${settings.lossPercent}% loss` : undefined,
    settings.delayMs > 0 ? `${settings.delayMs} ms delay` : undefined,
    settings.jitterMs > 0 ? `${settings.jitterMs} ms jitter` : undefined,
  ].filter((p) => p !== undefined);
  const what = parts.length > 0 ? parts.join(', ') : 'nothing';
  const kind = settings.kind === 'all' ? 'audio and video' : settings.kind;
  return `${what} on ${kind}${settings.subscriberId ? ` to ${nameOf(settings.subscriberId)}` : ''}`;
}

export interface ImpairmentTarget {
  id: string;
  name: string;
}

/** Sends the settings (null: off); rejects with an error whose message the form shows. */
export type ApplyImpairment = (settings: ImpairmentSettings | null) => Promise<void>;

const EVERYONE = '';

export class ImpairmentForm {
  readonly element: HTMLElement;
  private readonly loss = numberInput('impairment-loss', 0, 100, 0.5);
  private readonly delay = numberInput('impairment-delay', 0, 5000, 10);
  private readonly jitter = numberInput('impairment-jitter', 0, 1000, 5);
  private readonly kind = el('select', { 'data-testid': 'impairment-kind' });
  private readonly target = el('select', { 'data-testid': 'impairment-target' });
  private readonly apply = el('button', { type: 'submit', class: 'small primary', 'data-testid': 'impairment-apply' }, 'Apply');
  private readonly off = el('button', { type: 'button', class: 'small', 'data-testid': 'impairment-off' }, 'Off');
  private readonly status = el('p', { class: 'impairment-status', 'data-testid': 'impairment-status', role: 'status' });

  constructor(private readonly send: ApplyImpairment) {
    for (const [value, label] of [['all', 'Audio and video'], ['audio', 'Audio'], ['video', 'Video']] as const) {
      this.kind.append(el('option', { value }, label));
    }
    this.setTargets([]);
    const form = el(
      'form',
      { class: 'impairment-form', novalidate: true },
      field('Loss (%)', this.loss),
      field('Delay (ms)', this.delay),
      field('Jitter (ms)', this.jitter),
      field('Streams', this.kind),
      field('To', this.target),
      el('div', { class: 'impairment-actions' }, this.apply, this.off),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const settings = this.read();
      if (settings) void this.run(settings);
    });
    this.off.addEventListener('click', () => void this.run(null));
    this.element = el(
      'section',
      { class: 'stats-impairment', 'data-testid': 'impairment-section' },
      el('h3', {}, 'Impairment'),
      el('p', { class: 'muted' }, 'Make the SFU drop or delay what it forwards in this room, then watch the figures respond.'),
      form,
      this.status,
    );
  }

  /** Who the impairment can be aimed at (besides everyone); keeps the choice if still there. */
  setTargets(targets: readonly ImpairmentTarget[]): void {
    const chosen = this.target.value;
    this.target.replaceChildren(el('option', { value: EVERYONE }, 'Everyone'), ...targets.map((t) => el('option', { value: t.id }, t.name)));
    this.target.value = targets.some((t) => t.id === chosen) ? chosen : EVERYONE;
  }

  /** Shows what is in force now; `description` is undefined when off. */
  setCurrent(description: string | undefined): void {
    this.status.textContent = description ? `In force: ${description}.` : 'Off.';
    this.status.dataset.level = 'info';
  }

  private read(): ImpairmentSettings | undefined {
    const lossPercent = this.loss.valueAsNumber;
    const delayMs = this.delay.valueAsNumber;
    const jitterMs = this.jitter.valueAsNumber;
    const valid = (input: HTMLInputElement, value: number, integer: boolean): boolean =>
      Number.isFinite(value) && value >= Number(input.min) && value <= Number(input.max) && (!integer || Number.isInteger(value));
    if (!valid(this.loss, lossPercent, false) || !valid(this.delay, delayMs, true) || !valid(this.jitter, jitterMs, true)) {
      this.showError('Loss is 0–100 %, delay 0–5000 ms and jitter 0–1000 ms, in whole milliseconds.');
      return undefined;
    }
    const kind = this.kind.value as MediaKind | 'all';
    const subscriberId = this.target.value || undefined;
    return { lossPercent, delayMs, jitterMs, kind, ...(subscriberId ? { subscriberId } : {}) };
  }

  private async run(settings: ImpairmentSettings | null): Promise<void> {
    this.apply.disabled = true;
    this.off.disabled = true;
    try {
      await this.send(settings);
    } catch (err) {
      this.showError(err instanceof Error ? err.message : String(err));
    } finally {
      this.apply.disabled = false;
      this.off.disabled = false;
    }
  }

  private showError(message: string): void {
    this.status.textContent = message;
    this.status.dataset.level = 'error';
  }
}

function numberInput(testId: string, min: number, max: number, step: number): HTMLInputElement {
  return el('input', { type: 'number', min: String(min), max: String(max), step: String(step), value: '0', inputmode: 'decimal', 'data-testid': testId });
}

function field(label: string, control: HTMLElement): HTMLLabelElement {
  return el('label', { class: 'impairment-field' }, el('span', {}, label), control);
}
