// Changing your display name during the call: a small modal form with the current name,
// checked as the join form checks it; the server's refusal (too fast) is shown in the same
// place, and the dialog stays open with what was typed.
import { el } from './dom.js';
import { displayNameProblem } from '../call/validation.js';

export class RenameDialog {
  readonly element: HTMLDialogElement;
  private readonly input: HTMLInputElement;
  private readonly error = el('p', { class: 'field-error', id: 'rename-error', 'data-testid': 'rename-error', 'aria-live': 'polite' });
  private saving = false;

  /** `save` resolves once the room has the name, or rejects with an Error to show. */
  constructor(private readonly save: (name: string) => Promise<void>) {
    this.input = el('input', { id: 'rename-name', 'data-testid': 'rename-input', autocomplete: 'nickname', maxlength: '60', 'aria-describedby': 'rename-error' });
    const cancel = el('button', { type: 'button', class: 'ghost', 'data-testid': 'rename-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => this.element.close());
    const form = el(
      'form',
      { class: 'join-form rename-form', novalidate: true },
      el('h1', {}, 'Change your name'),
      el('label', { for: 'rename-name' }, 'Your name'),
      this.input,
      this.error,
      el('div', { class: 'dialog-actions' }, cancel, el('button', { type: 'submit', class: 'primary', 'data-testid': 'rename-save' }, 'Save')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.input.addEventListener('input', () => this.setError(undefined));
    this.element = el('dialog', { class: 'rename-dialog', 'data-testid': 'rename-dialog', 'aria-label': 'Change your name' }, form);
  }

  open(current: string): void {
    this.input.value = current;
    this.setError(undefined);
    this.element.showModal();
    this.input.select();
  }

  close(): void {
    if (this.element.open) this.element.close();
  }

  private async submit(): Promise<void> {
    if (this.saving) return;
    const name = this.input.value.trim();
    const problem = displayNameProblem(name);
    if (problem) return this.setError(problem);
    this.saving = true;
    try {
      await this.save(name);
      this.element.close();
    } catch (err) {
      this.setError(err instanceof Error ? err.message : String(err));
    } finally {
      this.saving = false;
    }
  }

  private setError(message: string | undefined): void {
    this.error.textContent = message ?? '';
    this.input.setAttribute('aria-invalid', String(message !== undefined));
  }
}
