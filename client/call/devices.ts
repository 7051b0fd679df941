// Which camera, microphone and speaker the page uses: the browser's lists, the person's
// choice, and that choice remembered in localStorage for the next call. A remembered
// device that was unplugged since gives way to the default one instead of failing the
// call (LocalMedia.acquire). Device ids are stable per origin until the
// person clears the site's data; labels are the fallback when an id changed.
import type { MediaKind } from '../../signaling/protocol.js';
import { isRecord } from './wire.js';

export type DeviceKind = 'camera' | 'microphone' | 'speaker';
export const DEVICE_KINDS: readonly DeviceKind[] = ['camera', 'microphone', 'speaker'];

const BROWSER_KIND: Record<DeviceKind, MediaDeviceKind> = { camera: 'videoinput', microphone: 'audioinput', speaker: 'audiooutput' };
/** The kind of track each capture device gives. */
export const TRACK_KIND: Record<'camera' | 'microphone', MediaKind> = { camera: 'video', microphone: 'audio' };

export interface DeviceOption {
  id: string;
  label: string;
}

export type DeviceLists = Record<DeviceKind, DeviceOption[]>;
export type DeviceChoice = Partial<Record<DeviceKind, DeviceOption>>;

const STORAGE_KEY = 'rtc.devices';
const MAX_STORED_CHARS = 256;

/** The devices the browser offers, by kind (labels are empty until a device was allowed). */
export async function listDevices(): Promise<DeviceLists> {
  const lists: DeviceLists = { camera: [], microphone: [], speaker: [] };
  const devices = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!devices?.enumerateDevices) return lists;
  for (const info of await devices.enumerateDevices()) {
    const kind = DEVICE_KINDS.find((k) => BROWSER_KIND[k] === info.kind);
    // Without a permission, browsers list placeholders with an empty id: nothing to choose.
    if (!kind || !info.deviceId) continue;
    lists[kind].push({ id: info.deviceId, label: info.label || `${kind[0]!.toUpperCase()}${kind.slice(1)} ${lists[kind].length + 1}` });
  }
  return lists;
}

/** The option that matches a remembered device: the same id, else the same label. */
export function findChoice(remembered: DeviceOption | undefined, options: DeviceOption[]): DeviceOption | undefined {
  if (!remembered) return undefined;
  return options.find((o) => o.id === remembered.id) ?? options.find((o) => o.label === remembered.label);
}

/** Whether this browser can send a page's sound to a chosen speaker. */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export function loadDeviceChoice(storage: Pick<Storage, 'getItem'> | undefined = safeStorage()): DeviceChoice {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
  // Another tab, an older version or a hand edit may have put anything there.
  if (!isRecord(parsed)) return {};
  const choice: DeviceChoice = {};
  for (const kind of DEVICE_KINDS) {
    const value = parsed[kind];
    if (!isRecord(value)) continue;
    const { id, label } = value;
    if (typeof id === 'string' && typeof label === 'string' && id.length <= MAX_STORED_CHARS && label.length <= MAX_STORED_CHARS) choice[kind] = { id, label };
  }
  return choice;
}

/** Remembers `device` for `kind`, keeping the other kinds' choices. */
export function rememberDevice(kind: DeviceKind, device: DeviceOption, storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = safeStorage()): void {
  const choice = { ...loadDeviceChoice(storage), [kind]: { id: device.id.slice(0, MAX_STORED_CHARS), label: device.label.slice(0, MAX_STORED_CHARS) } };
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // Storage full or disabled: the choice holds for this call only.
  }
}

function safeStorage(): Storage | undefined {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : undefined;
  } catch {
    return undefined;
  }
}
