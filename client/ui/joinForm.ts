// The join form: room and display name, checked here with the same rules as the server
// so that mistakes are explained next to the field before anything is sent. No maxlength
// on the inputs: a pasted name that is too long gets a message instead of being cut.
// A link's invalid values are shown the same way: kept in their field, with the reason.
// The transport select picks the network path media may take (Auto unless testing);
// choices the server cannot carry are disabled, with a note saying why.
import type { PageConfig } from '../../signaling/pageConfig.js';
import type { LinkProblem } from './deepLink.js';
import { el } from './dom.js';
import { TRANSPORT_CHOICES, parseTransportChoice, transportUnavailable, type TransportChoice } from '../call/transportChoice.js';
import { displayNameProblem, roomNameProblem } from '../call/validation.js';

/** Values to prefill; a problem puts its value in the field with its message beside it. */
export interface JoinFormValues {
  room: string;
  name: string;
  transport: TransportChoice;
  problems?: { room?: LinkProblem; name?: LinkProblem; transport?: LinkProblem };
}

export class JoinForm {
  readonly element: HTMLFormElement;
  private readonly room: HTMLInputElement;
  private readonly name: HTMLInputElement;
  private readonly transport: HTMLSelectElement;
  private readonly roomError: HTMLParagraphElement;
  private readonly nameError: HTMLParagraphElement;
  private readonly transportNote: HTMLParagraphElement;
  private readonly submit: HTMLButtonElement;
  private transports: PageConfig['transports'] | undefined;
  /** A note about the link's transport, shown until the choice is changed. */
  private linkTransportNote: string | undefined;

  constructor(onJoin: (room: string, name: string, transport: TransportChoice) => void) {
    this.room = el('input', {
      id: 'join-room',
      name: 'room',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'e.g. team-standup',
      'aria-describedby': 'join-room-error',
    });
    this.name = el('input', {
      id: 'join-name',
      name: 'name',
      autocomplete: 'name',
      placeholder: 'Your name',
      'aria-describedby': 'join-name-error',
    });
    this.transport = el(
      'select',
      { id: 'join-transport', name: 'transport', 'data-testid': 'join-transport', 'aria-describedby': 'join-transport-note' },
      ...TRANSPORT_CHOICES.map(({ value, label }) => el('option', { value }, label)),
    );
    this.roomError = el('p', { class: 'field-error', id: 'join-room-error', 'data-testid': 'room-error', 'aria-live': 'polite' });
    this.nameError = el('p', { class: 'field-error', id: 'join-name-error', 'data-testid': 'name-error', 'aria-live': 'polite' });
    this.transportNote = el('p', { class: 'field-note', id: 'join-transport-note', 'data-testid': 'transport-note' });
    this.submit = el('button', { type: 'submit', class: 'primary', 'data-testid': 'join' }, 'Join');
    this.element = el(
      'form',
      { class: 'join-form', 'data-testid': 'join-form', novalidate: true },
      el('h1', {}, 'Join a call'),
      el('label', { for: 'join-room' }, 'Room'),
      this.room,
      this.roomError,
      el('label', { for: 'join-name' }, 'Your name'),
      this.name,
      this.nameError,
      el('label', { for: 'join-transport' }, 'Media transport'),
      this.transport,
      this.transportNote,
      this.submit,
    );
    this.element.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const values = this.validate();
      if (values) onJoin(values.room, values.name, parseTransportChoice(this.transport.value));
    });
    // Errors clear as soon as the field is edited, so they never describe an old value.
    this.room.addEventListener('input', () => this.setError(this.room, this.roomError, undefined));
    this.name.addEventListener('input', () => this.setError(this.name, this.nameError, undefined));
    this.transport.addEventListener('change', () => {
      this.linkTransportNote = undefined;
      this.renderTransportNote();
    });
  }

  fill(values: JoinFormValues): void {
    const { problems = {} } = values;
    this.room.value = problems.room?.value ?? values.room;
    this.name.value = problems.name?.value ?? values.name;
    this.setError(this.room, this.roomError, problems.room?.message);
    this.setError(this.name, this.nameError, problems.name?.message);
    this.linkTransportNote = problems.transport?.message;
    this.selectTransport(values.transport);
  }

  /** Disables the choices the server cannot carry; a selected one falls back to Auto, with a note. */
  setTransports(transports: PageConfig['transports'] | undefined): void {
    this.transports = transports;
    for (const option of this.transport.options) {
      const reason = transportUnavailable(transports, parseTransportChoice(option.value));
      option.disabled = reason !== undefined;
      option.title = reason ?? '';
    }
    this.selectTransport(parseTransportChoice(this.transport.value));
  }

  focus(): void {
    if (this.room.getAttribute('aria-invalid') === 'true' || !this.room.value) this.room.focus();
    else this.name.focus();
  }

  private selectTransport(choice: TransportChoice): void {
    const reason = transportUnavailable(this.transports, choice);
    if (reason) {
      const label = TRANSPORT_CHOICES.find((c) => c.value === choice)?.label ?? choice;
      this.linkTransportNote = `The link asks for "${label}", which this server cannot carry, so Auto is selected.`;
      this.transport.value = 'auto';
    } else {
      this.transport.value = choice;
    }
    this.renderTransportNote();
  }

  /** The link's note if any, then why each missing choice is missing. */
  private renderTransportNote(): void {
    const missing = TRANSPORT_CHOICES.flatMap(({ value, label }) => {
      const reason = transportUnavailable(this.transports, value);
      return reason ? [`"${label}" is not offered. ${reason}`] : [];
    });
    const lines = [this.linkTransportNote, ...missing].filter((l) => l !== undefined);
    this.transportNote.replaceChildren(...lines.map((line) => el('span', { class: 'note-line' }, line)));
    this.transportNote.hidden = lines.length === 0;
  }

  private validate(): { room: string; name: string } | undefined {
    const room = this.room.value.trim();
    const name = this.name.value.trim();
    const roomProblem = roomNameProblem(room);
    const nameProblem = displayNameProblem(name);
    this.setError(this.room, this.roomError, roomProblem);
    this.setError(this.name, this.nameError, nameProblem);
    if (roomProblem) this.room.focus();
    else if (nameProblem) this.name.focus();
    return roomProblem || nameProblem ? undefined : { room, name };
  }

  private setError(input: HTMLInputElement, output: HTMLParagraphElement, problem: string | undefined): void {
    output.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(problem !== undefined));
  }
}
