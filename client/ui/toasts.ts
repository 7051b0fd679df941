// Short messages that appear for a few seconds ("Alice joined") and go away on their own.
import { el } from './dom.js';

const TOAST_MS = 3_500;
const MAX_TOASTS = 4;

export class Toasts {
  readonly element = el('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });

  show(text: string): void {
    const toast = el('div', { class: 'toast', 'data-testid': 'toast' }, text);
    this.element.append(toast);
    while (this.element.childElementCount > MAX_TOASTS) this.element.firstElementChild?.remove();
    setTimeout(() => {
      toast.classList.add('leaving');
      setTimeout(() => toast.remove(), 300);
    }, TOAST_MS);
  }
}
