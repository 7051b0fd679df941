// The join form: room and display name, checked here with the same rules as the server
// so that mistakes are explained next to the field before anything is sent. No maxlength
// on the inputs: a pasted name that is too long gets a message instead of being cut.
// The transport select picks the network path media may take (Auto unless testing).
import { el } from './dom.js';
import { TRANSPORT_CHOICES, parseTransportChoice, type TransportChoice } from './transportChoice.js';
import { displayNameProblem, roomNameProblem } from './validation.js';

export class JoinForm {
  readonly element: HTMLFormElement;
  private readonly room: HTMLInputElement;
  private readonly name: HTMLInputElement;
  private readonly transport: HTMLSelectElement;
  private readonly roomError: HTMLParagraphElement;
  private readonly nameError: HTMLParagraphElement;
  private readonly submit: HTMLButtonElement;

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
      { id: 'join-transport', name: 'transport', 'data-testid': 'join-transport' },
      ...TRANSPORT_CHOICES.map(({ value, label }) => el('option', { value }, label)),
    );
    this.roomError = el('p', { class: 'field-error', id: 'join-room-error', 'data-testid': 'room-error' });
    this.nameError = el('p', { class: 'field-error', id: 'join-name-error', 'data-testid': 'name-error' });
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
  }

  fill(room: string, name: string, transport: TransportChoice = 'auto'): void {
    this.room.value = room;
    this.name.value = name;
    this.transport.value = transport;
  }

  focus(): void {
    (this.room.value ? this.name : this.room).focus();
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
