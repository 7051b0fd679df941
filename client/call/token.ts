// Access tokens from the development endpoint of the page's own origin. Tokens travel
// only in request bodies and in the join message, never in a URL.
import { CallError } from './errors.js';
import { isRecord } from './wire.js';

export interface AccessToken {
  token: string;
  identity: string;
}

/** Asks the server for a token for `room` as `name`; fetch is a parameter for tests. */
export type TokenSource = (room: string, name: string) => Promise<AccessToken>;

const TOKEN_TIMEOUT_MS = 10_000;

export const fetchToken: TokenSource = async (room, name) => {
  let response: Response;
  try {
    response = await fetch('/api/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room, name }),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (err) {
    throw new CallError('server-unreachable', undefined, { cause: err });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.status >= 500) {
    throw new CallError('server-unreachable', 'The server could not give you an access token right now.', {
      serverCode: `HTTP_${response.status}`,
    });
  }
  if (!response.ok) {
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    const serverCode = typeof error.code === 'string' ? error.code : `HTTP_${response.status}`;
    const detail = typeof error.message === 'string' ? error.message : '';
    const message = detail ? `The server would not give you an access token: ${detail}` : undefined;
    throw new CallError('token-refused', message, { serverCode, cause: `HTTP ${response.status}` });
  }
  if (!isRecord(body) || typeof body.token !== 'string' || typeof body.identity !== 'string') {
    throw new CallError('protocol', undefined, { cause: 'token response without token and identity' });
  }
  return { token: body.token, identity: body.identity };
};
