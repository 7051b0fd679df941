// What a link (/?room=NAME&name=NAME&transport=CHOICE) asks for, checked field by field:
// a valid value is kept even when another one is not, and each invalid one comes with
// the reason, so the join form can show both. Pure, so it is tested without a page.
import { parseTransportChoice, TRANSPORT_CHOICES, type TransportChoice } from '../call/transportChoice.js';
import { displayNameProblem, roomNameProblem } from '../call/validation.js';

/** A value from the link that cannot be used, and why. */
export interface LinkProblem {
  /** What the link said (possibly long: the form shows it in the field, for editing). */
  value: string;
  message: string;
}

export interface DeepLink {
  /** Valid values only; undefined when the link has none (or an invalid one). */
  room?: string;
  name?: string;
  transport: TransportChoice;
  problems: { room?: LinkProblem; name?: LinkProblem; transport?: LinkProblem };
}

export function readDeepLink(search: string): DeepLink {
  const params = new URLSearchParams(search);
  const link: DeepLink = { transport: 'auto', problems: {} };
  const room = params.get('room')?.trim();
  if (room) {
    const problem = roomNameProblem(room);
    if (problem) link.problems.room = { value: room, message: `The link's room cannot be used. ${problem}` };
    else link.room = room;
  }
  const name = params.get('name')?.trim();
  if (name) {
    const problem = displayNameProblem(name);
    if (problem) link.problems.name = { value: name, message: `The link's name cannot be used. ${problem}` };
    else link.name = name;
  }
  const transport = params.get('transport');
  if (transport !== null && transport !== '') {
    link.transport = parseTransportChoice(transport);
    if (link.transport === 'auto' && transport !== 'auto') {
      const known = TRANSPORT_CHOICES.map((c) => c.value).join(', ');
      link.problems.transport = { value: transport, message: `The link asks for an unknown media transport; Auto is used (known: ${known}).` };
    }
  }
  return link;
}

/** Whether the page can join straight away: a valid room and name, and nothing wrong. */
export function joinsAtOnce(link: DeepLink): link is DeepLink & { room: string; name: string } {
  return link.room !== undefined && link.name !== undefined && Object.keys(link.problems).length === 0;
}
