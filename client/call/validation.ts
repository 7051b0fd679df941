// The rules for room and display names, the same ones the server's token endpoint
// applies, so the join form can say what is wrong before asking it. The messages name
// what is wrong with this value (how long it is, which characters are not allowed), so a
// person can fix a pasted value or a link without guessing.

export const MAX_ROOM_LENGTH = 64;
export const MAX_NAME_LENGTH = 40;
const ROOM_CHAR = /[A-Za-z0-9_.-]/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** At most this many offending characters are quoted in a message. */
const QUOTED_CHARS = 5;

/** Returns a human message for an invalid room name, or undefined when it is fine. */
export function roomNameProblem(room: string): string | undefined {
  if (room.length === 0) return 'Enter a room name.';
  if (room.length > MAX_ROOM_LENGTH) return `Room names are at most ${MAX_ROOM_LENGTH} characters; this one has ${room.length}.`;
  const bad = distinct([...room].filter((c) => !ROOM_CHAR.test(c)));
  if (bad.length > 0) return `Room names may contain only letters, digits, "-", "_" and "."; not ${quoteChars(bad)}.`;
  return undefined;
}

/** Returns a human message for an invalid display name (already trimmed), or undefined. */
export function displayNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Enter your name.';
  if (name.length > MAX_NAME_LENGTH) return `Names are at most ${MAX_NAME_LENGTH} characters; this one has ${name.length}.`;
  if (CONTROL_CHARS.test(name)) return 'Names may not contain control characters (line breaks, tabs and the like).';
  return undefined;
}

function distinct(chars: string[]): string[] {
  return [...new Set(chars)];
}

/** `"/"`, `"/", " " and "?"`, or the first few and "…" when there are many. */
function quoteChars(chars: string[]): string {
  const shown = chars.slice(0, QUOTED_CHARS).map((c) => (c === ' ' ? 'spaces' : `"${c}"`));
  if (chars.length > QUOTED_CHARS) return `${shown.join(', ')} and others`;
  if (shown.length === 1) return shown[0] as string;
  return `${shown.slice(0, -1).join(', ')} or ${shown.at(-1) as string}`;
}
