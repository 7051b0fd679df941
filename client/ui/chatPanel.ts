// The chat side panel: the room's messages (name, time, text) and a box to write one.
// Text is put in as text, never as markup: a message that reads `<img onerror=…>` shows
// exactly that. Enter sends, Shift+Enter starts a new line; a refusal (too fast, too long)
// is said under the box and the text stays there to send again.
import { CHAT_MAX_CHARS, type ChatMessage } from '../../signaling/protocol.js';
import { el, icon } from './dom.js';
import type { ChatLogChange } from '../call/chatLog.js';
import { closeIcon, sendIcon } from './icons.js';

export interface ChatPanelActions {
  close(): void;
  /** Sends the text; rejects with an Error whose message is shown to the person. */
  send(text: string): Promise<void>;
}

/** How close to the bottom (px) the list must be for a new message to scroll it into view. */
const STICK_TO_BOTTOM_PX = 48;

export class ChatPanel {
  readonly element: HTMLElement;
  private readonly list = el('ol', { class: 'chat-messages', 'data-testid': 'chat-messages', 'aria-live': 'polite', 'aria-label': 'Messages' });
  private readonly empty = el('p', { class: 'chat-empty', 'data-testid': 'chat-empty' }, 'No messages yet. Messages are seen by everyone in the room, and by those who join later.');
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly problem = el('p', { class: 'chat-problem', 'data-testid': 'chat-problem', role: 'alert' });
  private sending = false;

  constructor(private readonly actions: ChatPanelActions) {
    const close = el('button', { type: 'button', class: 'icon-button', title: 'Close', 'aria-label': 'Close chat' }, icon(closeIcon));
    close.addEventListener('click', () => actions.close());
    this.input = el('textarea', {
      class: 'chat-input',
      'data-testid': 'chat-input',
      rows: '2',
      maxlength: String(CHAT_MAX_CHARS),
      placeholder: 'Message everyone',
      'aria-label': 'Message everyone',
    });
    this.sendButton = el('button', { type: 'submit', class: 'icon-button chat-send', 'data-testid': 'chat-send', title: 'Send', 'aria-label': 'Send message' }, icon(sendIcon));
    const form = el('form', { class: 'chat-form' }, this.input, this.sendButton);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        void this.submit();
      }
    });
    this.input.addEventListener('input', () => this.syncSendButton());
    this.problem.hidden = true;
    this.element = el(
      'aside',
      { class: 'side-panel chat-panel', 'data-testid': 'chat-panel', 'aria-label': 'Chat' },
      el('header', { class: 'stats-header' }, el('h2', {}, 'Chat'), close),
      el('div', { class: 'chat-body' }, this.empty, this.list),
      el('div', { class: 'chat-compose' }, form, this.problem),
    );
    this.element.hidden = true;
    this.syncSendButton();
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
    if (open) {
      this.scrollToEnd();
      this.input.focus();
    }
  }

  /** Shows the whole log again (a new call, or the first render). */
  show(messages: readonly ChatMessage[], selfId: string | undefined): void {
    this.list.replaceChildren(...messages.map((m) => this.item(m, selfId)));
    this.empty.hidden = messages.length > 0;
    this.scrollToEnd();
  }

  /** Makes the change the log made (ChatLog.add), keeping the view at the end if it was there. */
  insert(message: ChatMessage, change: ChatLogChange, selfId: string | undefined): void {
    const atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < STICK_TO_BOTTOM_PX;
    for (let i = 0; i < change.dropped; i++) this.list.firstElementChild?.remove();
    if (change.index < 0) return;
    this.list.insertBefore(this.item(message, selfId), this.list.children[change.index] ?? null);
    this.empty.hidden = true;
    if (atEnd || message.participantId === selfId) this.scrollToEnd();
  }

  clear(): void {
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.input.value = '';
    this.setProblem(undefined);
    this.syncSendButton();
  }

  private item(message: ChatMessage, selfId: string | undefined): HTMLLIElement {
    const mine = message.participantId === selfId;
    const time = new Date(message.at);
    return el(
      'li',
      { class: mine ? 'chat-message mine' : 'chat-message', 'data-testid': 'chat-message', 'data-id': message.id },
      el(
        'div',
        { class: 'chat-meta' },
        el('span', { class: 'chat-name', 'data-testid': 'chat-name' }, mine ? 'You' : message.name),
        el('time', { datetime: time.toISOString(), title: time.toLocaleString() }, time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
      ),
      el('p', { class: 'chat-text', 'data-testid': 'chat-text' }, message.text),
    );
  }

  private async submit(): Promise<void> {
    const text = this.input.value;
    if (this.sending || text.trim() === '') return;
    this.sending = true;
    this.syncSendButton();
    try {
      await this.actions.send(text);
      // Only what was sent is cleared: a person may have typed on meanwhile.
      if (this.input.value === text) this.input.value = '';
      this.setProblem(undefined);
    } catch (err) {
      this.setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      this.sending = false;
      this.syncSendButton();
      this.input.focus();
    }
  }

  private setProblem(message: string | undefined): void {
    this.problem.hidden = message === undefined;
    this.problem.textContent = message ?? '';
  }

  private syncSendButton(): void {
    this.sendButton.disabled = this.sending || this.input.value.trim() === '';
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
