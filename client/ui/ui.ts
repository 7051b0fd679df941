// The page: the join form, the joining screen and the call screen (with its call-quality
// panel), driven by the events of one Call at a time. The page never touches peer
// connections or devices itself.
import type { ImpairmentSettings } from '../../signaling/protocol.js';
import { Call, LOCAL_SPEAKER, type CallState } from '../call/call.js';
import { ChatPanel } from './chatPanel.js';
import { ControlBar } from './controlBar.js';
import { DeviceDialog } from './deviceDialog.js';
import { DevicePreview } from './devicePreview.js';
import { canChooseSpeaker, findChoice, listDevices, loadDeviceChoice, TRACK_KIND } from '../call/devices.js';
import { el, icon } from './dom.js';
import { downloadText } from './download.js';
import { CallError } from '../call/errors.js';
import { linkIcon, pencilIcon, speakerIcon, warningIcon } from './icons.js';
import { describeImpairment } from './impairmentForm.js';
import { JoinForm, type JoinFormValues } from './joinForm.js';
import { NoticeBar } from './noticeBar.js';
import { PeoplePanel, personOf, type Person } from './peoplePanel.js';
import { RenameDialog } from './renameDialog.js';
import { ScreenTiles } from './screenTiles.js';
import { qualityToCsv, qualityToJson } from '../call/stats/export.js';
import type { ProbeView } from './probeChart.js';
import { StatsPanel, type ExportFormat } from './statsPanel.js';
import type { PageConfig } from '../../signaling/pageConfig.js';
import { parseTransportChoice, TRANSPORT_CHOICES, transportUnavailable, type TransportChoice } from '../call/transportChoice.js';
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
  private readonly stats: StatsPanel;
  private readonly chat: ChatPanel;
  private readonly people: PeoplePanel;
  /** Who speaks now (LOCAL_SPEAKER for this page), as the call last said. */
  private speaking: ReadonlySet<string> = new Set();
  private readonly screens: ScreenTiles;
  private readonly stage: HTMLElement;
  /** Messages from others that arrived while the chat panel was closed. */
  private unreadChat = 0;
  private readonly impairmentChip = el('span', { class: 'impairment-chip', 'data-testid': 'impairment-chip', role: 'status' });
  private readonly joiningText = el('p', { class: 'joining-text' });
  private readonly joiningScreen: HTMLElement;
  private readonly callScreen: HTMLElement;
  private readonly formScreen: HTMLElement;
  private readonly roomTitle = el('h1', { class: 'room-name', 'data-testid': 'room-name' });
  private readonly count = el('span', { class: 'count', 'data-testid': 'participant-count' });
  private readonly audioUnlock: HTMLButtonElement;
  private readonly transportSwitch: HTMLSelectElement;
  private readonly layoutToggle: HTMLButtonElement;
  private speakerView = false;
  private readonly rename: RenameDialog;
  private readonly preview = new DevicePreview();
  private readonly devices: DeviceDialog;
  private readonly renameButton: HTMLButtonElement;
  private readonly renameLabel = el('span', { class: 'rename-label', 'data-testid': 'own-name' });
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly root: HTMLElement) {
    this.form = new JoinForm((room, name, transport) => this.join(room, name, transport));
    this.grid = new VideoGrid(
      () => {
        this.audioUnlock.hidden = false;
      },
      (participantId, size) => this.call?.reportTileSize(participantId, size),
    );
    this.controls = new ControlBar({
      toggle: (kind) => {
        const call = this.call;
        if (call) void call.setMuted(kind, !call.localMedia.muted[kind]);
      },
      toggleStats: () => this.setStatsOpen(!this.stats.open),
      toggleChat: () => this.setChatOpen(!this.chat.open),
      togglePeople: () => this.setPeopleOpen(!this.people.open),
      toggleScreen: () => void this.toggleScreen(),
      openDevices: () => this.devices.open(),
      leave: () => void this.call?.leave(),
    });
    this.stats = new StatsPanel({
      close: () => this.setStatsOpen(false),
      export: (format) => this.exportQuality(format),
      setImpairment: (settings) => this.setImpairment(settings),
    });
    this.screens = new ScreenTiles((presenting) => this.stage.classList.toggle('presenting', presenting));
    this.stage = el('main', { class: 'stage' }, this.screens.element, this.grid.element);
    this.chat = new ChatPanel({ close: () => this.setChatOpen(false), send: (text) => this.sendChat(text) });
    this.people = new PeoplePanel(() => this.setPeopleOpen(false));
    this.impairmentChip.hidden = true;
    this.audioUnlock = el('button', { type: 'button', class: 'audio-unlock', 'data-testid': 'enable-audio' }, icon(speakerIcon), 'Click to enable audio');
    this.audioUnlock.hidden = true;
    this.audioUnlock.addEventListener('click', () => {
      this.grid.enableAudio();
      this.audioUnlock.hidden = true;
    });
    // Switching the media transport mid-call: the page leaves and rejoins the room with the
    // other choice (a second or two), so both ends gather candidates for the new path.
    this.transportSwitch = el(
      'select',
      { class: 'transport-switch', 'data-testid': 'transport-switch', 'aria-label': 'Media transport', title: 'Media transport: switching rejoins the room' },
      ...TRANSPORT_CHOICES.map(({ value, label }) => el('option', { value }, label)),
    );
    this.transportSwitch.addEventListener('change', () => this.switchTransport(parseTransportChoice(this.transportSwitch.value)));
    this.rename = new RenameDialog((name) => this.setName(name));
    this.devices = new DeviceDialog({
      inUse: () => ({
        camera: this.call?.deviceId('video'),
        microphone: this.call?.deviceId('audio'),
        speaker: this.grid.audioOutput,
        microphoneTrack: this.call?.localMedia.stream?.getAudioTracks()[0],
      }),
      useDevice: async (kind, id) => {
        const call = this.call;
        if (!call) throw new Error('Not in a call.');
        await call.useDevice(TRACK_KIND[kind], id);
      },
      useSpeaker: (id) => this.grid.setAudioOutput(id),
    });
    this.renameButton = el('button', { type: 'button', class: 'ghost', 'data-testid': 'rename', title: 'Change your name' }, icon(pencilIcon), this.renameLabel);
    this.renameButton.addEventListener('click', () => this.rename.open(this.call?.name ?? ''));
    this.layoutToggle = el('button', { type: 'button', class: 'ghost', 'data-testid': 'toggle-layout' });
    this.layoutToggle.addEventListener('click', () => this.setSpeakerView(!this.speakerView));
    this.setSpeakerView(false);
    const copyLink = el('button', { type: 'button', class: 'ghost', title: 'Copy the link to this room' }, icon(linkIcon), 'Copy link');
    copyLink.addEventListener('click', () => void this.copyLink());

    this.formScreen = el('section', { class: 'screen form-screen' }, el('div', { class: 'join-card' }, this.preview.element, this.form.element));
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
      el(
        'header',
        { class: 'call-header' },
        el('div', { class: 'title' }, this.roomTitle, this.count, this.impairmentChip),
        el('div', { class: 'header-actions' }, this.audioUnlock, this.layoutToggle, this.renameButton, this.transportSwitch, copyLink),
      ),
      el('div', { class: 'call-body' }, this.stage, this.stats.element, this.chat.element, this.people.element),
      this.controls.element,
    );
    this.root.replaceChildren(this.notice.element, this.formScreen, this.joiningScreen, this.callScreen, this.toasts.element, this.rename.element, this.devices.element);
    this.setBodyState('idle');
    this.show('form');
  }

  /** The call this page is showing, if any (also for the debug hook). */
  get currentCall(): Call | undefined {
    return this.call;
  }

  /** Opens the call-quality panel (also for the debug hook). */
  openStats(): void {
    this.setStatsOpen(true);
  }

  /**
   * Shows the form, prefilled; the room (and transport) usually come from the URL. Without
   * a name, the one used last time.
   */
  showForm(values: Partial<JoinFormValues> = {}): void {
    this.form.fill({ room: values.room ?? '', name: values.name ?? loadName(), transport: values.transport ?? 'auto', problems: values.problems });
    this.show('form');
    this.preview.start();
    this.form.focus();
  }

  /** What the server can carry: choices it cannot are disabled in the form and the call's switch. */
  setPageConfig(config: PageConfig | undefined): void {
    this.form.setTransports(config?.transports);
    for (const option of this.transportSwitch.options) {
      const reason = transportUnavailable(config?.transports, parseTransportChoice(option.value));
      option.disabled = reason !== undefined;
      option.title = reason ?? '';
    }
  }

  /** Joins `room` as `name` with a new Call (the form or a deep link already checked them). */
  join(room: string, name: string, transport: TransportChoice = 'auto'): void {
    this.detach();
    this.notice.clear();
    saveName(name);
    this.form.fill({ room, name, transport });
    this.transportSwitch.value = transport;
    // The preview's devices if the form was shown, else the ones chosen last time.
    const remembered = loadDeviceChoice();
    const call = new Call({ transport, media: this.preview.take(), devices: { audio: remembered.microphone?.id, video: remembered.camera?.id } });
    this.call = call;
    this.attach(call);
    this.roomTitle.textContent = room;
    this.joiningText.textContent = `Joining ${room}…`;
    history.replaceState(null, '', `?room=${encodeURIComponent(room)}${transport === 'auto' ? '' : `&transport=${transport}`}`);
    call.join(room, name).catch(() => {
      // The `failed` state shows the reason.
    });
  }

  /** Leaves and rejoins the same room with another transport choice; the old call's end is not shown. */
  private switchTransport(transport: TransportChoice): void {
    const call = this.call;
    if (!call || transport === call.transport) return;
    const statsOpen = this.stats.open;
    this.detach();
    void call.leave();
    this.join(call.room, call.name, transport);
    if (statsOpen) this.setStatsOpen(true);
    this.toasts.show(`Rejoining over ${TRANSPORT_CHOICES.find((c) => c.value === transport)?.label ?? transport}`);
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
        this.grid.setLocal(call.name, stream, { audio: muted.audio || !available.audio, video: muted.video || !available.video });
        this.controls.update(available, muted);
      }),
    );
    on.push(call.on('notice', ({ message }) => this.notice.show(message, 'info')));
    on.push(
      call.on('quality', (report) => {
        this.grid.setQuality(report);
        this.renderStats();
      }),
    );
    on.push(call.on('server-stats', () => this.renderStats()));
    on.push(call.on('impairment', ({ settings }) => this.showImpairment(call, settings)));
    on.push(
      call.on('local-screen-changed', ({ stream }) => {
        this.screens.set('local', 'Your screen', stream);
        this.controls.setSharing(stream !== undefined);
      }),
    );
    on.push(
      call.on('screen-changed', ({ participantId, stream }) => {
        const name = call.participants().find((p) => p.info.id === participantId)?.info.name ?? 'Someone';
        this.screens.set(participantId, `${name}'s screen`, stream, participantId);
      }),
    );
    on.push(
      call.on('participant-updated', ({ participant }) => this.screens.relabel(participant.id, `${participant.name}'s screen`)),
    );
    on.push(
      call.on('name-changed', ({ name }) => {
        this.showOwnName(name);
        this.grid.renameLocal(name);
        saveName(name);
        this.form.fill({ room: call.room, name, transport: call.transport });
        this.toasts.show(`You are now ${name}`);
      }),
    );
    on.push(
      call.on('chat', ({ message, mine, initial, change }) => {
        this.chat.insert(message, change, call.participantId);
        if (mine || initial || this.chat.open) return;
        this.unreadChat++;
        this.controls.setChat(false, this.unreadChat);
        this.toasts.show(`${message.name}: ${message.text.length > 80 ? `${message.text.slice(0, 80)}…` : message.text}`);
      }),
    );
    on.push(
      call.on('speakers', ({ speaking, active }) => {
        this.speaking = new Set(speaking);
        this.grid.setSpeakers(this.speaking, active, LOCAL_SPEAKER);
        this.renderPeople();
      }),
    );
    for (const event of ['participant-joined', 'participant-left', 'participant-updated'] as const) {
      on.push(call.on(event, () => this.renderStats()));
    }
    for (const event of ['participant-joined', 'participant-left', 'participant-updated', 'local-media-changed', 'quality', 'name-changed', 'local-screen-changed'] as const) {
      on.push(call.on(event, () => this.renderPeople()));
    }
  }

  private detach(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.grid.clear();
    this.audioUnlock.hidden = true;
    this.setStatsOpen(false);
    this.stats.clear();
    this.setChatOpen(false);
    this.chat.clear();
    this.setPeopleOpen(false);
    this.people.clear();
    this.speaking = new Set();
    this.unreadChat = 0;
    this.controls.setChat(false, 0);
    this.rename.close();
    this.devices.close();
    this.screens.clear();
    this.controls.setSharing(false);
    this.impairmentChip.hidden = true;
  }

  private onState(call: Call, state: CallState, previous: CallState, error: CallError | undefined): void {
    this.setBodyState(state);
    this.grid.setReconnecting(state === 'reconnecting');
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
        } else {
          void this.useRememberedSpeaker();
        }
        const local = call.localMedia;
        this.grid.setLocal(call.name, local.stream, { audio: local.muted.audio || !local.available.audio, video: local.muted.video || !local.available.video });
        this.controls.update(local.available, local.muted);
        this.updateCount();
        this.showOwnName(call.name);
        this.stats.setAdmin(call.grants?.admin ?? false);
        this.showImpairment(call, call.impairment);
        this.show('call');
        return;
      }
      case 'reconnecting':
        this.notice.show(RECONNECTING_MESSAGE, 'warning');
        return;
      case 'failed': {
        this.detach();
        this.showForm({ room: call.room, name: call.name, transport: call.transport });
        const message = error?.message ?? 'The call ended unexpectedly.';
        if (error?.code === 'reconnect-failed') {
          this.notice.show(message, 'error', { label: 'Rejoin', run: () => this.join(call.room, call.name, call.transport) });
        } else {
          this.notice.show(message, 'error');
        }
        return;
      }
      case 'left':
        this.detach();
        this.notice.clear();
        this.showForm({ room: call.room, name: call.name, transport: call.transport });
        return;
    }
  }

  /** One side panel at a time: chat, people and the call-quality figures take turns. */
  private setChatOpen(open: boolean): void {
    if (open && this.stats.open) this.setStatsOpen(false);
    if (open && this.people.open) this.setPeopleOpen(false);
    this.chat.setOpen(open);
    if (open) this.unreadChat = 0;
    this.controls.setChat(open, this.unreadChat);
  }

  /** Speaker view (the active speaker large) or the grid (everyone alike); kept across calls of this page. */
  private setSpeakerView(on: boolean): void {
    this.speakerView = on;
    this.grid.setSpeakerView(on);
    this.layoutToggle.textContent = 'Speaker view';
    this.layoutToggle.title = on ? 'Back to the grid: everyone alike' : 'Show whoever speaks large, the others in a strip';
    this.layoutToggle.setAttribute('aria-pressed', String(on));
  }

  /** Plays the call on the speaker chosen last time, if the browser still has it. */
  private async useRememberedSpeaker(): Promise<void> {
    const remembered = loadDeviceChoice().speaker;
    if (!remembered || !canChooseSpeaker()) return;
    const speaker = findChoice(remembered, (await listDevices()).speaker);
    if (speaker) await this.grid.setAudioOutput(speaker.id).catch((err: unknown) => console.warn('page: could not use the remembered speaker', err));
  }

  private showOwnName(name: string): void {
    this.renameLabel.textContent = name;
    this.renameButton.setAttribute('aria-label', `Change your name (${name})`);
  }

  private async toggleScreen(): Promise<void> {
    const call = this.call;
    if (!call) return;
    try {
      if (call.sharingScreen) await call.stopScreen();
      else await call.shareScreen();
    } catch (err) {
      // Closing the browser's picker is a choice, not a failure.
      if (err instanceof DOMException && err.name === 'NotAllowedError') return;
      if (err instanceof CallError && err.code === 'request-failed') {
        this.toasts.show(err.details.serverCode === 'FORBIDDEN' ? 'Your access does not allow sharing a screen.' : `Could not share: ${String(err.details.cause ?? err.details.serverCode)}`);
      } else {
        this.toasts.show(`Could not share your screen: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async setName(name: string): Promise<void> {
    const call = this.call;
    if (!call) throw new Error('Not in a call.');
    await call.setName(name).catch((err: unknown) => {
      throw refusal(err, 'Not changed', 'Too many changes in a row. Wait a moment and save again.');
    });
  }

  private async sendChat(text: string): Promise<void> {
    const call = this.call;
    if (!call) throw new Error('Not in a call.');
    await call.sendChat(text).catch((err: unknown) => {
      throw refusal(err, 'Not sent', 'You are sending messages too fast. Wait a moment and send again.');
    });
  }

  private setPeopleOpen(open: boolean): void {
    if (open && this.stats.open) this.setStatsOpen(false);
    if (open && this.chat.open) this.setChatOpen(false);
    this.people.setOpen(open);
    this.renderPeople();
  }

  /** The people panel and the headcount on its button. */
  private renderPeople(): void {
    const call = this.call;
    const remotes = call?.participants() ?? [];
    this.controls.setPeople(this.people.open, remotes.length + 1);
    if (!call || !this.people.open) return;
    const local = call.localMedia;
    const report = call.quality;
    const self: Person = {
      id: LOCAL_SPEAKER,
      name: call.name,
      self: true,
      micOff: local.muted.audio || !local.available.audio,
      cameraOff: local.muted.video || !local.available.video,
      screen: call.sharingScreen,
      speaking: this.speaking.has(LOCAL_SPEAKER),
      quality: report?.uplink,
    };
    this.people.render([self, ...remotes.map(({ info }) => personOf(info, this.speaking.has(info.id), report?.remotes.find((r) => r.participantId === info.id)))]);
  }

  private setStatsOpen(open: boolean): void {
    if (open && this.chat.open) this.setChatOpen(false);
    if (open && this.people.open) this.setPeopleOpen(false);
    this.stats.setOpen(open);
    this.controls.setStatsOpen(open);
    this.call?.setDetailedQuality(open);
    this.renderStats();
  }

  private renderStats(): void {
    const call = this.call;
    if (!call || !this.stats.open) return;
    this.stats.render({
      report: call.quality,
      samples: call.qualityHistory(),
      selfId: call.participantId,
      participants: call.participants().map(({ info }) => ({ id: info.id, name: info.name })),
      server: call.serverStats?.streams ?? [],
      probes: probeView(call),
    });
  }

  private showImpairment(call: Call, settings: ImpairmentSettings | null): void {
    const nameOf = (id: string): string => (id === call.participantId ? 'you' : (call.participants().find((p) => p.info.id === id)?.info.name ?? 'someone'));
    const description = settings ? describeImpairment(settings, nameOf) : undefined;
    this.impairmentChip.hidden = !description;
    this.impairmentChip.replaceChildren(icon(warningIcon), `Impairment: ${description ?? 'off'}`);
    this.impairmentChip.title = 'An admin made the server drop or delay media in this room on purpose.';
    this.stats.setImpairment(description);
  }

  private async setImpairment(settings: ImpairmentSettings | null): Promise<void> {
    const call = this.call;
    if (!call) throw new Error('Not in a call.');
    try {
      await call.setImpairment(settings);
    } catch (err) {
      if (err instanceof CallError && err.code === 'request-failed') throw new Error(`The server refused: ${String(err.details.cause ?? err.details.serverCode)}`);
      throw err;
    }
  }

  private exportQuality(format: ExportFormat): void {
    const call = this.call;
    if (!call) return;
    const input = { room: call.room, exportedAt: Date.now(), names: this.stats.names(), series: call.qualityHistory() };
    const stamp = new Date(input.exportedAt).toISOString().replace(/[:.]/g, '-');
    const fileName = `call-quality-${call.room}-${stamp}.${format}`;
    if (format === 'json') downloadText(fileName, 'application/json', qualityToJson(input));
    else downloadText(fileName, 'text/csv', qualityToCsv(input));
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

/**
 * What a dialog or box says when a request of its failed: `tooFast` for RATE_LIMITED, else
 * `prefix` and the server's reason (or the call's error); a bad value (invalid-input)
 * keeps its own message.
 */
function refusal(err: unknown, prefix: string, tooFast: string): Error {
  if (!(err instanceof CallError)) return err instanceof Error ? err : new Error(String(err));
  if (err.code === 'request-failed') return new Error(err.details.serverCode === 'RATE_LIMITED' ? tooFast : `${prefix}: ${String(err.details.cause ?? err.details.serverCode)}`);
  if (err.code === 'invalid-input') return err;
  return new Error(`${prefix}: ${err.message}`);
}

function probeView(call: Call): ProbeView | undefined {
  const summary = call.probes();
  const samples = call.probeSamples();
  return summary && samples ? { summary, ...samples } : undefined;
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
