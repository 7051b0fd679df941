// The bottom bar: round microphone and camera toggles, the screen share and chat toggles
// (with the count of messages not yet seen), the people toggle (with the headcount), the
// call-quality panel toggle, the devices
// dialog, and the red leave button.
import type { MediaKind } from '../../signaling/protocol.js';
import { el, icon } from './dom.js';
import { cameraIcon, cameraOffIcon, chatIcon, leaveIcon, screenShareIcon, micIcon, micOffIcon, peopleIcon, settingsIcon, statsIcon } from './icons.js';

export interface ControlBarActions {
  toggle(kind: MediaKind): void;
  toggleStats(): void;
  toggleChat(): void;
  togglePeople(): void;
  toggleScreen(): void;
  openDevices(): void;
  leave(): void;
}

const LABELS: Record<MediaKind, { on: string; off: string; missing: string; icon: string; offIcon: string }> = {
  audio: { on: 'Mute microphone', off: 'Unmute microphone', missing: 'No microphone', icon: micIcon, offIcon: micOffIcon },
  video: { on: 'Turn camera off', off: 'Turn camera on', missing: 'No camera', icon: cameraIcon, offIcon: cameraOffIcon },
};

export class ControlBar {
  readonly element: HTMLElement;
  private readonly buttons: Record<MediaKind, HTMLButtonElement>;
  private readonly stats: HTMLButtonElement;
  private readonly chat: HTMLButtonElement;
  private readonly screen: HTMLButtonElement;
  private readonly people: HTMLButtonElement;
  private readonly headcount = el('span', { class: 'badge count-badge', 'data-testid': 'people-count' });
  private readonly unread = el('span', { class: 'badge', 'data-testid': 'chat-unread' });

  constructor(actions: ControlBarActions) {
    this.buttons = { audio: this.toggleButton('audio', actions), video: this.toggleButton('video', actions) };
    const leave = el('button', { type: 'button', class: 'round danger', 'data-testid': 'leave', title: 'Leave', 'aria-label': 'Leave' }, icon(leaveIcon));
    leave.addEventListener('click', () => actions.leave());
    this.stats = el('button', { type: 'button', class: 'round', 'data-testid': 'toggle-stats' }, icon(statsIcon));
    this.stats.addEventListener('click', () => actions.toggleStats());
    this.chat = el('button', { type: 'button', class: 'round', 'data-testid': 'toggle-chat' }, icon(chatIcon), this.unread);
    this.chat.addEventListener('click', () => actions.toggleChat());
    this.people = el('button', { type: 'button', class: 'round', 'data-testid': 'toggle-people' }, icon(peopleIcon), this.headcount);
    this.people.addEventListener('click', () => actions.togglePeople());
    this.screen = el('button', { type: 'button', class: 'round', 'data-testid': 'toggle-screen' }, icon(screenShareIcon));
    this.screen.addEventListener('click', () => actions.toggleScreen());
    // Browsers without getDisplayMedia (phones) cannot share a screen: no button.
    this.screen.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
    const devices = el('button', { type: 'button', class: 'round', 'data-testid': 'open-devices', title: 'Camera, microphone and speaker', 'aria-label': 'Camera, microphone and speaker' }, icon(settingsIcon));
    devices.addEventListener('click', () => actions.openDevices());
    this.element = el('footer', { class: 'controls' }, this.buttons.audio, this.buttons.video, this.screen, this.chat, this.people, this.stats, devices, leave);
    this.update({ audio: false, video: false }, { audio: false, video: false });
    this.setStatsOpen(false);
    this.setChat(false, 0);
    this.setSharing(false);
    this.setPeople(false, 1);
  }

  /** The people toggle's state, and how many are in the room (you included). */
  setPeople(open: boolean, count: number): void {
    this.headcount.textContent = String(count);
    setToggle(this.people, open, `${open ? 'Hide' : 'Show'} people (${count})`);
  }

  setSharing(sharing: boolean): void {
    setToggle(this.screen, sharing, sharing ? 'Stop sharing your screen' : 'Share your screen');
  }

  /** The chat toggle's state, and how many messages arrived while the panel was closed. */
  setChat(open: boolean, unread: number): void {
    this.unread.hidden = unread === 0;
    this.unread.textContent = unread > 99 ? '99+' : String(unread);
    setToggle(this.chat, open, open ? 'Hide chat' : unread > 0 ? `Show chat (${unread} unread)` : 'Show chat');
  }

  setStatsOpen(open: boolean): void {
    setToggle(this.stats, open, open ? 'Hide stats' : 'Show stats');
  }

  update(available: Record<MediaKind, boolean>, muted: Record<MediaKind, boolean>): void {
    for (const kind of ['audio', 'video'] as const) {
      const button = this.buttons[kind];
      const labels = LABELS[kind];
      const off = muted[kind] || !available[kind];
      const label = !available[kind] ? labels.missing : muted[kind] ? labels.off : labels.on;
      button.disabled = !available[kind];
      button.classList.toggle('off', off);
      button.setAttribute('aria-pressed', String(muted[kind]));
      button.setAttribute('aria-label', label);
      button.title = label;
      button.replaceChildren(icon(off ? labels.offIcon : labels.icon));
    }
  }

  private toggleButton(kind: MediaKind, actions: ControlBarActions): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'round', 'data-testid': kind === 'audio' ? 'toggle-mic' : 'toggle-camera' });
    button.addEventListener('click', () => actions.toggle(kind));
    return button;
  }
}

/** A toggle button's pressed state, shown (active) and told (aria-pressed), with its name and tooltip. */
function setToggle(button: HTMLButtonElement, pressed: boolean, label: string): void {
  button.classList.toggle('active', pressed);
  button.setAttribute('aria-pressed', String(pressed));
  button.setAttribute('aria-label', label);
  button.title = label;
}
