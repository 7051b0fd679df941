// The people side panel: everyone in the call, you first, each with their microphone and
// camera state, a screen share, whether they are speaking, and the quality of what
// arrives from them (your own: the uplink). Names are text, never markup.
import { el, icon } from './dom.js';
import { cameraOffIcon, closeIcon, micOffIcon, screenShareIcon } from './icons.js';
import { QualityBadge } from './qualityBadge.js';
import type { LinkQuality } from './stats/report.js';
import { initials } from './tile.js';

export interface Person {
  id: string;
  name: string;
  self: boolean;
  audioOff: boolean;
  videoOff: boolean;
  screen: boolean;
  speaking: boolean;
  quality: LinkQuality | undefined;
}

export class PeoplePanel {
  readonly element: HTMLElement;
  private readonly title = el('h2', {}, 'People');
  private readonly list = el('ul', { class: 'people-list', 'data-testid': 'people-list', 'aria-label': 'People in the call' });
  private readonly rows = new Map<string, { row: HTMLLIElement; badge: QualityBadge }>();

  constructor(close: () => void) {
    const closeButton = el('button', { type: 'button', class: 'icon-button', title: 'Close', 'aria-label': 'Close people' }, icon(closeIcon));
    closeButton.addEventListener('click', close);
    this.element = el(
      'aside',
      { class: 'people-panel', 'data-testid': 'people-panel', 'aria-label': 'People' },
      el('header', { class: 'stats-header' }, this.title, closeButton),
      el('div', { class: 'people-body' }, this.list),
    );
    this.element.hidden = true;
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  setOpen(open: boolean): void {
    this.element.hidden = !open;
  }

  render(people: readonly Person[]): void {
    this.title.textContent = `People (${people.length})`;
    const seen = new Set<string>();
    for (const person of people) {
      seen.add(person.id);
      let entry = this.rows.get(person.id);
      if (!entry) {
        entry = { row: el('li', { class: 'person', 'data-testid': 'person' }), badge: new QualityBadge('person-quality', 'inline') };
        this.rows.set(person.id, entry);
      }
      this.fill(entry.row, entry.badge, person);
      this.list.append(entry.row);
    }
    for (const [id, { row }] of this.rows) {
      if (seen.has(id)) continue;
      row.remove();
      this.rows.delete(id);
    }
  }

  clear(): void {
    this.render([]);
  }

  private fill(row: HTMLLIElement, badge: QualityBadge, person: Person): void {
    row.dataset.participantId = person.id;
    row.dataset.speaking = String(person.speaking);
    row.classList.toggle('speaking', person.speaking);
    badge.update(person.quality, person.self ? 'from you to the server (uplink)' : `from ${person.name}`);
    const states = el('span', { class: 'person-states' });
    if (person.screen) states.append(state(screenShareIcon, 'Sharing their screen', 'person-screen'));
    if (person.audioOff) states.append(state(micOffIcon, 'Microphone off', 'person-mic-off'));
    if (person.videoOff) states.append(state(cameraOffIcon, 'Camera off', 'person-camera-off'));
    row.replaceChildren(
      el('span', { class: 'person-avatar', 'aria-hidden': 'true' }, initials(person.name)),
      el('span', { class: 'person-name', 'data-testid': 'person-name' }, person.self ? `${person.name} (you)` : person.name),
      states,
      badge.element,
    );
  }
}

function state(svg: string, label: string, testId: string): HTMLSpanElement {
  const span = icon(svg, 'person-state');
  span.removeAttribute('aria-hidden');
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', label);
  span.title = label;
  span.dataset.testid = testId;
  return span;
}
