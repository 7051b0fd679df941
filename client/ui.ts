// The page: the join form, the joining screen and the call screen, driven by the events
// of one Call at a time. The page never touches peer connections or devices itself.
import { Call, type CallState } from './call.js';
import { ControlBar } from './controlBar.js';
import { el, icon } from './dom.js';
import type { CallError } from './errors.js';
import { linkIcon, speakerIcon } from './icons.js';
import { JoinForm } from './joinForm.js';
import { NoticeBar } from './noticeBar.js';
import { Toasts } from './toasts.js';
import { VideoGrid } from './videoGrid.js';

type Screen = 'form' | 'joining' | 'call';

const NAME_STORAGE_KEY = 'rtc.displayName';
const RECONNECTING_MESSAGE = 'Connection lost — reconnecting…';

export class CallPage {
  private call: Call | undefined;
  private readonly notice = new NoticeBar();
  private readonly toasts = new Toasts();
  private readonly form: JoinForm;
  private readonly grid: VideoGrid;
  private readonly controls: ControlBar;
  private readonly joiningText = el('p', { class: 'joining-text' });
  private readonly joiningScreen: HTMLElement;
  private readonly callScreen: HTMLElement;
  private readonly formScreen: HTMLElement;
  private readonly roomTitle = el('h1', { class: 'room-name', 'data-testid': 'room-name' });
  private readonly count = el('span', { class: 'count', 'data-testid': 'participant-count' });
  private readonly audioUnlock: HTMLButtonElement;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly root: HTMLElement) {
    this.form = new JoinForm((room, name) => this.join(room, name));
    this.grid = new VideoGrid(() => {
      this.audioUnlock.hidden = false;
    });
    this.controls = new ControlBar({
      toggle: (kind) => {
        const call = this.call;
        if (call) void call.setMuted(kind, !call.localMedia.muted[kind]);
      },
      leave: () => void this.call?.leave(),
    });
    this.audioUnlock = el('button', { type: 'button', class: 'audio-unlock', 'data-testid': 'enable-audio' }, icon(speakerIcon), 'Click to enable audio');
    this.audioUnlock.hidden = true;
    this.audioUnlock.addEventListener('click', () => {
      this.grid.enableAudio();
      this.audioUnlock.hidden = true;
    });
    const copyLink = el('button', { type: 'button', class: 'ghost', title: 'Copy the link to this room' }, icon(linkIcon), 'Copy link');
    copyLink.addEventListener('click', () => void this.copyLink());

    this.formScreen = el('section', { class: 'screen form-screen' }, this.form.element);
    const cancel = el('button', { type: 'button', class: 'ghost', 'data-testid': 'cancel-join' }, 'Cancel');
    cancel.addEventListener('click', () => void this.call?.leave());
    this.joiningScreen = el(
      'section',
      { class: 'screen joining-screen' },
      el('div', { class: 'spinner', 'aria-hidden': 'true' }),
      this.joiningText,
      cancel,
    );
    this.callScreen = el(
      'section',
      { class: 'screen call-screen' },
      el('header', { class: 'call-header' }, el('div', { class: 'title' }, this.roomTitle, this.count), copyLink),
      el('main', { class: 'stage' }, this.grid.element),
      this.controls.element,
    );
    this.root.replaceChildren(this.notice.element, this.formScreen, this.joiningScreen, this.callScreen, this.audioUnlock, this.toasts.element);
    this.setBodyState('idle');
    this.show('form');
  }

  /** The call this page is showing, if any (also for the debug hook). */
  get currentCall(): Call | undefined {
    return this.call;
  }

  /** Shows the form, prefilled; the room usually comes from the URL. */
  showForm(room: string): void {
    this.form.fill(room, loadName());
    this.show('form');
    this.form.focus();
  }

  /** Joins `room` as `name` with a new Call (the form or a deep link already checked them). */
  join(room: string, name: string): void {
    this.detach();
    this.notice.clear();
    saveName(name);
    this.form.fill(room, name);
    const call = new Call();
    this.call = call;
    this.attach(call);
    this.roomTitle.textContent = room;
    this.joiningText.textContent = `Joining ${room}…`;
    history.replaceState(null, '', `?room=${encodeURIComponent(room)}`);
    call.join(room, name).catch(() => {
      // The `failed` state shows the reason.
    });
  }

  private attach(call: Call): void {
    const on = this.unsubscribe;
    on.push(call.on('state-changed', ({ state, previous, error }) => this.onState(call, state, previous, error)));
    on.push(
      call.on('participant-joined', ({ participant, stream, initial }) => {
        this.grid.addRemote(participant, stream);
        this.updateCount();
        if (!initial) this.toasts.show(`${participant.name} joined`);
      }),
    );
    on.push(call.on('participant-updated', ({ participant }) => this.grid.updateRemote(participant)));
    on.push(
      call.on('participant-left', ({ participant }) => {
        this.grid.removeRemote(participant.id);
        this.updateCount();
        this.toasts.show(`${participant.name} left`);
      }),
    );
    on.push(call.on('remote-media-changed', ({ participantId, stream }) => this.grid.remoteMediaChanged(participantId, stream)));
    on.push(
      call.on('local-media-changed', ({ stream, available, muted }) => {
        this.grid.setLocal(call.name, stream, muted);
        this.controls.update(available, muted);
      }),
    );
    on.push(call.on('notice', ({ message }) => this.notice.show(message, 'info')));
  }

  private detach(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.grid.clear();
    this.audioUnlock.hidden = true;
  }

  private onState(call: Call, state: CallState, previous: CallState, error: CallError | undefined): void {
    this.setBodyState(state);
    switch (state) {
      case 'idle':
        return;
      case 'joining':
        this.show('joining');
        return;
      case 'joined': {
        if (previous === 'reconnecting') {
          this.notice.clear();
          this.toasts.show('Reconnected');
        }
        const local = call.localMedia;
        this.grid.setLocal(call.name, local.stream, local.muted);
        this.controls.update(local.available, local.muted);
        this.updateCount();
        this.show('call');
        return;
      }
      case 'reconnecting':
        this.notice.show(RECONNECTING_MESSAGE, 'warning');
        return;
      case 'failed': {
        this.detach();
        this.showForm(call.room);
        const message = error?.message ?? 'The call ended unexpectedly.';
        if (error?.code === 'reconnect-failed') {
          this.notice.show(message, 'error', { label: 'Rejoin', run: () => this.join(call.room, call.name) });
        } else {
          this.notice.show(message, 'error');
        }
        return;
      }
      case 'left':
        this.detach();
        this.notice.clear();
        this.showForm(call.room);
        return;
    }
  }

  private show(screen: Screen): void {
    this.formScreen.hidden = screen !== 'form';
    this.joiningScreen.hidden = screen !== 'joining';
    this.callScreen.hidden = screen !== 'call';
  }

  private updateCount(): void {
    const n = (this.call?.participants().length ?? 0) + 1;
    this.count.textContent = n === 1 ? '1 participant' : `${n} participants`;
  }

  private setBodyState(state: CallState): void {
    document.body.dataset.callState = state;
  }

  private async copyLink(): Promise<void> {
    const url = `${location.origin}/?room=${encodeURIComponent(this.call?.room ?? '')}`;
    try {
      await navigator.clipboard.writeText(url);
      this.toasts.show('Link copied');
    } catch {
      this.toasts.show(url);
    }
  }
}

function loadName(): string {
  try {
    return localStorage.getItem(NAME_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    // Private mode or storage disabled: the form just starts empty next time.
  }
}
