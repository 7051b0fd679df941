// During the call: the camera, microphone and speaker pickers in a small modal, with the
// microphone's level. A new camera or microphone replaces the old one on the connection
// (the others keep seeing and hearing you, from the new device); the speaker applies to
// every tile. Choices are remembered for the next call.
import { el } from './dom.js';
import { DevicePicker } from './devicePicker.js';
import { canChooseSpeaker, listDevices, rememberDevice, type DeviceKind, type DeviceOption } from '../call/devices.js';
import { SPEAKER_UNAVAILABLE } from './devicePreview.js';
import { LevelMeter } from './levelMeter.js';

export interface DevicesInUse {
  camera: string | undefined;
  microphone: string | undefined;
  speaker: string | undefined;
  microphoneTrack: MediaStreamTrack | undefined;
}

export interface DeviceDialogActions {
  inUse(): DevicesInUse;
  /** Switches the call's camera or microphone; rejects with an Error to show. */
  useDevice(kind: 'camera' | 'microphone', id: string): Promise<void>;
  useSpeaker(id: string): Promise<void>;
}

export class DeviceDialog {
  readonly element: HTMLDialogElement;
  private readonly picker: DevicePicker;
  private readonly meter = new LevelMeter('devices-level');
  private readonly onDeviceChange = (): void => void this.refresh();

  constructor(private readonly actions: DeviceDialogActions) {
    this.picker = new DevicePicker('devices', (kind, device) => void this.choose(kind, device), { microphone: this.meter.element });
    const done = el('button', { type: 'button', class: 'primary', 'data-testid': 'devices-done' }, 'Done');
    done.addEventListener('click', () => this.close());
    this.element = el(
      'dialog',
      { class: 'rename-dialog', 'data-testid': 'devices-dialog', 'aria-label': 'Camera, microphone and speaker' },
      el('div', { class: 'join-form devices-form' }, el('h1', {}, 'Camera, microphone and speaker'), this.picker.element, el('div', { class: 'dialog-actions' }, done)),
    );
    this.element.addEventListener('close', () => this.stopWatching());
  }

  get isOpen(): boolean {
    return this.element.open;
  }

  open(): void {
    if (this.element.open) return;
    this.picker.setError(undefined);
    this.element.showModal();
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    void this.refresh();
  }

  close(): void {
    if (this.element.open) this.element.close();
  }

  private stopWatching(): void {
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.meter.detach();
  }

  private async refresh(): Promise<void> {
    const lists = await listDevices();
    if (!this.element.open) return;
    const inUse = this.actions.inUse();
    this.picker.render({
      lists,
      selected: { camera: inUse.camera, microphone: inUse.microphone, speaker: inUse.speaker ?? lists.speaker[0]?.id },
      unavailable: {
        camera: inUse.camera ? undefined : 'This call has no camera: leave and join again to use one.',
        microphone: inUse.microphone ? undefined : 'This call has no microphone: leave and join again to use one.',
        speaker: canChooseSpeaker() ? undefined : SPEAKER_UNAVAILABLE,
      },
    });
    this.meter.attach(inUse.microphoneTrack);
  }

  private async choose(kind: DeviceKind, device: DeviceOption): Promise<void> {
    this.picker.setError(undefined);
    this.picker.setBusy(true);
    try {
      if (kind === 'speaker') await this.actions.useSpeaker(device.id);
      else await this.actions.useDevice(kind, device.id);
      rememberDevice(kind, device);
    } catch (err) {
      this.picker.setError(`Could not switch to ${device.label}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.picker.setBusy(false);
      // Shows what is in use now: the new device, or the old one after a failure.
      await this.refresh();
    }
  }
}
