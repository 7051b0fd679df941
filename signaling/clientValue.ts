// Values that came from outside (a frame, a request body, an error thrown while reading
// one) as they may appear in an error message or a log line: described with a bound,
// never stringified whole. JSON.stringify of a value nested 5,000 levels deep (10 KB of
// brackets) throws a RangeError, and a long value would be echoed or logged in full.

/** Characters of a client's string or number shown in a description. */
export const PREVIEW_CHARS = 40;
/** Characters of an error message passed on to a client or a log line. */
export const ERROR_TEXT_CHARS = 200;

/** Text cut to at most `maxChars` characters (an ellipsis marks the cut), never splitting a surrogate pair. */
export function bounded(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * What a client value is, for a message: a truncated preview of a string, number or
 * boolean; only the kind of anything else (objects and arrays are never walked).
 */
export function describeClientValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      // Stringifying a string cannot recurse; the cut keeps it short.
      return JSON.stringify(bounded(value, PREVIEW_CHARS));
    case 'number':
    case 'boolean':
      return bounded(String(value), PREVIEW_CHARS);
    case 'undefined':
      return 'nothing';
    default:
      return `a value of type ${typeof value}`;
  }
}

/**
 * An error as bounded text (`Name: message`), for a log line or an error response:
 * errors raised while reading client input (an SDP parser's, say) can quote that input.
 */
export function errorText(err: unknown, maxChars = ERROR_TEXT_CHARS): string {
  if (err instanceof Error) {
    const name = typeof err.name === 'string' ? err.name : 'Error';
    const message = typeof err.message === 'string' ? err.message : '';
    return bounded(message ? `${name}: ${message}` : name, maxChars);
  }
  if (typeof err === 'string') return bounded(err, maxChars);
  return describeClientValue(err);
}
