// Three pickers, camera, microphone and speaker, shown before the call (with the preview)
// and during it (in the devices dialog). A picker that cannot be used is disabled and a
// note says why; a device that fails to open is reported under the pickers.
import { el } from './dom.js';
import { DEVICE_KINDS, type DeviceKind, type DeviceLists, type DeviceOption } from '../call/devices.js';

const LABELS: Record<DeviceKind, string> = { camera: 'Camera', microphone: 'Microphone', speaker: 'Speaker' };
const NONE: Record<DeviceKind, string> = { camera: 'No camera found', microphone: 'No microphone found', speaker: 'System default' };

export interface DevicePickerState {
  lists: DeviceLists;
  /** The device in use per kind (its id). */
  selected: Partial<Record<DeviceKind, string>>;
  /** Why a picker cannot be used, per kind; it is then disabled with this note. */
  unavailable?: Partial<Record<DeviceKind, string>>;
}

export class DevicePicker {
  readonly element: HTMLElement;
  private readonly selects: Record<DeviceKind, HTMLSelectElement>;
  private readonly notes: Record<DeviceKind, HTMLParagraphElement>;
  private readonly error: HTMLParagraphElement;
  private lists: DeviceLists = { camera: [], microphone: [], speaker: [] };

  /** `choose` runs when the person picks a device; `prefix` keeps ids unique per page. */
  constructor(prefix: string, choose: (kind: DeviceKind, device: DeviceOption) => void, extra: Partial<Record<DeviceKind, Node>> = {}) {
    const fields: Node[] = [];
    const selects: Partial<Record<DeviceKind, HTMLSelectElement>> = {};
    const notes: Partial<Record<DeviceKind, HTMLParagraphElement>> = {};
    for (const kind of DEVICE_KINDS) {
      const id = `${prefix}-${kind}`;
      const note = el('p', { class: 'field-note', id: `${id}-note`, 'data-testid': `${id}-note` });
      note.hidden = true;
      const select = el('select', { id, 'data-testid': id, 'aria-describedby': `${id}-note` });
      select.addEventListener('change', () => {
        const device = this.lists[kind].find((d) => d.id === select.value);
        if (device) choose(kind, device);
      });
      selects[kind] = select;
      notes[kind] = note;
      fields.push(el('div', { class: 'device-field' }, el('label', { for: id }, LABELS[kind]), select, extra[kind], note));
    }
    this.selects = selects as Record<DeviceKind, HTMLSelectElement>;
    this.notes = notes as Record<DeviceKind, HTMLParagraphElement>;
    this.error = el('p', { class: 'field-error', 'data-testid': `${prefix}-error`, 'aria-live': 'polite' });
    this.element = el('div', { class: 'device-picker' }, ...fields, this.error);
  }

  render({ lists, selected, unavailable = {} }: DevicePickerState): void {
    this.lists = lists;
    for (const kind of DEVICE_KINDS) {
      const select = this.selects[kind];
      const options = lists[kind];
      const reason = unavailable[kind] ?? (options.length === 0 && kind !== 'speaker' ? `${NONE[kind]}.` : undefined);
      select.replaceChildren(...(options.length > 0 ? options.map((o) => el('option', { value: o.id }, o.label)) : [el('option', { value: '' }, NONE[kind])]));
      const current = selected[kind];
      if (current && options.some((o) => o.id === current)) select.value = current;
      select.disabled = reason !== undefined || options.length === 0;
      this.notes[kind].textContent = reason ?? '';
      this.notes[kind].hidden = reason === undefined;
    }
  }

  /** Puts a picker back on the device in use (after a switch failed). */
  select(kind: DeviceKind, id: string | undefined): void {
    if (id && this.lists[kind].some((o) => o.id === id)) this.selects[kind].value = id;
  }

  setBusy(busy: boolean): void {
    this.element.setAttribute('aria-busy', String(busy));
  }

  setError(message: string | undefined): void {
    this.error.textContent = message ?? '';
  }
}
