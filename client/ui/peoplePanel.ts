// The people side panel: everyone in the room, you first, each with what a person wants
// to know at a glance: microphone and camera off (or missing), sharing a screen,
// speaking now, and the connection's quality (yours is your uplink). Redrawn from the
// call's state whenever it changes; names go in as text.
import type { ParticipantInfo } from '../../signaling/protocol.js';
import { el, icon } from './dom.js';
import { cameraOffIcon, closeIcon, micOffIcon, screenShareIcon } from './icons.js';
import type { LinkQuality } from '../call/stats/report.js';

export interface Person {
  id: string;
  name: string;
  self: boolean;
  /** Off: muted, or not sent at all (no such device). */
  micOff: boolean;
  cameraOff: boolean;
  screen: boolean;
  speaking: boolean;
  quality: LinkQuality | undefined;
}

const QUALITY_LABELS: Record<string, string> = { good: 'Good', fair: 'Fair', poor: 'Poor', reconnecting: 'Reconnecting' };

/** What the panel shows of a remote participant, from what the room says of them. */
export function personOf(info: ParticipantInfo, speaking: boolean, quality: LinkQuality | undefined): Person {
  return {
    id: info.id,
    name: info.name,
    self: false,
    micOff: info.muted.audio || !info.publishing.includes('audio'),
    cameraOff: info.muted.video || !info.publishing.includes('video'),
    screen: info.screen === true,
    speaking,
    quality,
  };
}

export class PeoplePanel {
  readonly element: HTMLElement;
  private readonly list = el('ul', { class: 'people-list', 'data-testid': 'people-list', 'aria-label': 'People in the room' });
  private readonly heading = el('h2', {}, 'People');

  constructor(close: () => void) {
    const closeButton = el('button', { type: 'button', class: 'icon-button', title: 'Close', 'aria-label': 'Close people' }, icon(closeIcon));
    closeButton.addEventListener('click', () => close());
    this.element = el(
      'aside',
      { class: 'side-panel people-panel', 'data-testid': 'people-panel', 'aria-label': 'People' },
      el('header', { class: 'stats-header' }, this.heading, closeButton),
      this.list,
    );
    this.element.hidden = true;
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
  }

  /** Shows `people` (you first, then the others by name). */
  render(people: readonly Person[]): void {
    const sorted = [...people].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
    this.heading.textContent = `People (${sorted.length})`;
    this.list.replaceChildren(...sorted.map((p) => this.row(p)));
  }

  clear(): void {
    this.list.replaceChildren();
    this.heading.textContent = 'People';
  }

  private row(person: Person): HTMLLIElement {
    const quality = person.quality?.quality;
    const label = quality ? QUALITY_LABELS[quality] : undefined;
    return el(
      'li',
      {
        class: person.speaking ? 'person speaking' : 'person',
        'data-testid': 'person',
        'data-participant-id': person.self ? undefined : person.id,
        'data-speaking': String(person.speaking),
      },
      el('span', { class: 'person-name', 'data-testid': 'person-name' }, person.self ? `${person.name} (you)` : person.name),
      el(
        'span',
        { class: 'person-state' },
        person.speaking && el('span', { class: 'person-speaking', 'data-testid': 'person-speaking' }, 'Speaking'),
        person.screen && marker(screenShareIcon, 'Sharing a screen', 'person-screen'),
        person.micOff && marker(micOffIcon, 'Microphone off', 'person-mic-off'),
        person.cameraOff && marker(cameraOffIcon, 'Camera off', 'person-camera-off'),
        label && el('span', { class: 'person-quality', 'data-quality': quality, 'data-testid': 'person-quality', title: person.self ? 'Your connection to the server' : `The connection from ${person.name}` }, el('span', { class: 'quality-dot', 'aria-hidden': 'true' }), label),
      ),
    );
  }
}

function marker(svg: string, label: string, testId: string): HTMLSpanElement {
  const span = icon(svg, 'person-marker');
  span.removeAttribute('aria-hidden');
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', label);
  span.dataset.testid = testId;
  span.title = label;
  return span;
}
