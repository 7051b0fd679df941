// The rules for room and display names, the same ones the server's token endpoint
// applies, so the join form can say what is wrong before asking it.

export const MAX_ROOM_LENGTH = 64;
export const MAX_NAME_LENGTH = 40;
const ROOM_PATTERN = /^[A-Za-z0-9_.-]+$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Returns a human message for an invalid room name, or undefined when it is fine. */
export function roomNameProblem(room: string): string | undefined {
  if (room.length === 0) return 'Enter a room name.';
  if (room.length > MAX_ROOM_LENGTH) return `Room names are at most ${MAX_ROOM_LENGTH} characters.`;
  if (!ROOM_PATTERN.test(room)) return 'Room names may contain only letters, digits, "-", "_" and ".".';
  return undefined;
}

/** Returns a human message for an invalid display name (already trimmed), or undefined. */
export function displayNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Enter your name.';
  if (name.length > MAX_NAME_LENGTH) return `Names are at most ${MAX_NAME_LENGTH} characters.`;
  if (CONTROL_CHARS.test(name)) return 'Names may not contain control characters.';
  return undefined;
}
