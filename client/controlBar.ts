// The bottom bar: round microphone and camera toggles, the call-quality panel toggle,
// and the red leave button.
import type { MediaKind } from '../signaling/protocol.js';
import { el, icon } from './dom.js';
import { cameraIcon, cameraOffIcon, leaveIcon, micIcon, micOffIcon, statsIcon } from './icons.js';

export interface ControlBarActions {
  toggle(kind: MediaKind): void;
  toggleStats(): void;
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

  constructor(actions: ControlBarActions) {
    this.buttons = { audio: this.toggleButton('audio', actions), video: this.toggleButton('video', actions) };
    const leave = el('button', { type: 'button', class: 'round danger', 'data-testid': 'leave', title: 'Leave', 'aria-label': 'Leave' }, icon(leaveIcon));
    leave.addEventListener('click', () => actions.leave());
    this.stats = el('button', { type: 'button', class: 'round', 'data-testid': 'toggle-stats' }, icon(statsIcon));
    this.stats.addEventListener('click', () => actions.toggleStats());
    this.element = el('footer', { class: 'controls' }, this.buttons.audio, this.buttons.video, this.stats, leave);
    this.update({ audio: false, video: false }, { audio: false, video: false });
    this.setStatsOpen(false);
  }

  setStatsOpen(open: boolean): void {
    const label = open ? 'Hide stats' : 'Show stats';
    this.stats.classList.toggle('active', open);
    this.stats.setAttribute('aria-pressed', String(open));
    this.stats.setAttribute('aria-label', label);
    this.stats.title = label;
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
