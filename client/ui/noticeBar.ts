// The banner for what the person must read: why joining failed, that the connection is
// being restored, that the camera is missing. It stays until replaced or dismissed.
import { el, icon } from './dom.js';
import { closeIcon } from './icons.js';

export type NoticeLevel = 'info' | 'warning' | 'error';

export interface NoticeAction {
  label: string;
  run: () => void;
}

export class NoticeBar {
  readonly element: HTMLDivElement;
  private readonly text: HTMLSpanElement;
  private readonly actions: HTMLDivElement;

  constructor() {
    // The test id sits on the text, so that it reads as exactly the human message.
    this.text = el('span', { class: 'notice-text', 'data-testid': 'notice' });
    this.actions = el('div', { class: 'notice-actions' });
    this.element = el('div', { class: 'notice', role: 'alert' }, this.text, this.actions);
    this.element.hidden = true;
  }

  show(message: string, level: NoticeLevel, action?: NoticeAction): void {
    this.text.textContent = message;
    this.element.dataset.level = level;
    this.actions.replaceChildren();
    if (action) {
      const button = el('button', { type: 'button', class: 'notice-action' }, action.label);
      button.addEventListener('click', action.run);
      this.actions.append(button);
    }
    const dismiss = el('button', { type: 'button', class: 'notice-dismiss', 'aria-label': 'Dismiss', title: 'Dismiss' }, icon(closeIcon));
    dismiss.addEventListener('click', () => this.clear());
    this.actions.append(dismiss);
    this.element.hidden = false;
  }

  clear(): void {
    this.element.hidden = true;
    this.text.textContent = '';
    this.actions.replaceChildren();
  }
}
