// Before joining: the camera's picture, the microphone's level and the three device
// pickers, beside the join form. The devices opened here are handed to the call on join
// (no second prompt, no camera blink); every choice is remembered for the next visit.
import { el } from './dom.js';
import { DevicePicker } from './devicePicker.js';
import { canChooseSpeaker, findChoice, listDevices, loadDeviceChoice, rememberDevice, TRACK_KIND, type DeviceKind, type DeviceLists, type DeviceOption } from '../call/devices.js';
import { LevelMeter } from './levelMeter.js';
import { LocalMedia, type MediaGetter } from '../call/localMedia.js';

export const SPEAKER_UNAVAILABLE = 'This browser plays sound on its default output only.';

export class DevicePreview {
  readonly element: HTMLElement;
  private readonly video = el('video', { class: 'mirrored', 'data-testid': 'preview-video', 'aria-label': 'Your camera' });
  private readonly placeholder = el('p', { class: 'preview-placeholder', 'data-testid': 'preview-status' }, 'Starting your camera…');
  private readonly meter = new LevelMeter('preview-level');
  private readonly picker: DevicePicker;
  private media: Promise<LocalMedia> | undefined;
  /** Device switches go one at a time; the call takes the devices once they are done. */
  private switching: Promise<void> = Promise.resolve();
  private readonly onDeviceChange = (): void => void this.refresh();

  constructor(private readonly getUserMedia?: MediaGetter) {
    this.video.autoplay = true;
    this.video.muted = true;
    this.video.playsInline = true;
    this.picker = new DevicePicker('join', (kind, device) => this.choose(kind, device), { microphone: this.meter.element });
    this.element = el(
      'section',
      { class: 'device-preview', 'aria-label': 'Camera and microphone check', 'data-testid': 'device-preview' },
      el('div', { class: 'preview-frame' }, this.video, this.placeholder),
      this.picker.element,
    );
  }

  /** Opens the remembered (or default) camera and microphone for the preview, once. */
  start(): void {
    if (this.media) return;
    const remembered = loadDeviceChoice();
    const media = LocalMedia.acquire(this.getUserMedia, { audio: remembered.microphone?.id, video: remembered.camera?.id });
    this.media = media;
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    void media.then(async (local) => {
      if (this.media !== media) return;
      this.show(local);
      const lists = await this.refresh();
      if (!lists) return;
      // A remembered device whose id changed (site data cleared) is found again by its label.
      for (const kind of ['camera', 'microphone'] as const) {
        const device = findChoice(remembered[kind], lists[kind]);
        if (device && device.id !== remembered[kind]?.id && this.media === media) this.choose(kind, device);
      }
    });
  }

  /**
   * Hands the preview's devices to the call (after any switch in progress) and empties the
   * preview; undefined when it never started (a link that joins at once).
   */
  take(): Promise<LocalMedia> | undefined {
    const media = this.media;
    if (!media) return undefined;
    this.reset();
    return this.switching.then(() => media);
  }

  private reset(): void {
    this.media = undefined;
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.meter.detach();
    this.video.srcObject = null;
    this.placeholder.hidden = false;
    this.placeholder.textContent = 'Starting your camera…';
  }

  private show(local: LocalMedia): void {
    const hasVideo = local.has('video');
    this.video.srcObject = hasVideo ? local.stream : null;
    this.video.hidden = !hasVideo;
    this.placeholder.hidden = hasVideo;
    this.placeholder.textContent = local.notice ?? (hasVideo ? '' : 'No camera.');
    if (hasVideo) void this.video.play().catch(() => undefined);
    this.meter.attach(local.track('audio'));
  }

  /** Lists the devices again, marking the ones in use; the lists, unless the preview ended meanwhile. */
  private async refresh(): Promise<DeviceLists | undefined> {
    const media = this.media;
    if (!media) return undefined;
    const [local, lists] = await Promise.all([media, listDevices()]);
    if (this.media !== media) return undefined;
    const speaker = findChoice(loadDeviceChoice().speaker, lists.speaker) ?? lists.speaker[0];
    this.picker.render({
      lists,
      selected: { camera: local.deviceId('video'), microphone: local.deviceId('audio'), speaker: speaker?.id },
      unavailable: {
        camera: local.has('video') || lists.camera.length === 0 ? undefined : 'Your camera could not be opened.',
        microphone: local.has('audio') || lists.microphone.length === 0 ? undefined : 'Your microphone could not be opened.',
        speaker: canChooseSpeaker() ? undefined : SPEAKER_UNAVAILABLE,
      },
    });
    return lists;
  }

  private choose(kind: DeviceKind, device: DeviceOption): void {
    this.picker.setError(undefined);
    rememberDevice(kind, device);
    const media = this.media;
    if (kind === 'speaker' || !media) return;
    const mediaKind = TRACK_KIND[kind];
    this.switching = this.switching.then(async () => {
      const local = await media;
      if (local.deviceId(mediaKind) === device.id) return;
      try {
        const track = await LocalMedia.open(mediaKind, device.id, this.getUserMedia);
        local.replace(track);
        if (this.media === media) this.show(local);
      } catch (err) {
        this.picker.setError(`Could not open ${device.label}: ${err instanceof Error ? err.message : String(err)}`);
        this.picker.select(kind, local.deviceId(mediaKind));
      }
    });
  }
}
