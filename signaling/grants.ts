// The check made on every request that needs a grant, wherever it runs: in the session
// that read the request, and again on the node that owns the room (which must not take
// an edge node's word for it). A token's grants hold only until the token expires.
import type { Grants } from './auth.js';
import { CodedError } from './errors.js';
import { ErrorCode } from './protocol.js';

/** A grant a request needs: `publish` for publish, `admin` for set-impairment. */
export type RequiredGrant = 'publish' | 'admin';

/** What a participant was given at join: the token's grants and expiry. */
export interface GrantHolder {
  grants: Grants;
  /** The token's `exp`, seconds since the epoch; undefined: never expires. */
  expiresAt: number | undefined;
}

/** A request refused for want of a grant (FORBIDDEN) or because the token expired (TOKEN_EXPIRED). */
export class GrantRefusedError extends CodedError {
  override readonly name = 'GrantRefusedError';

  constructor(
    override readonly code: typeof ErrorCode.Forbidden | typeof ErrorCode.TokenExpired,
    message: string,
  ) {
    super(code, message);
  }
}

/** Throws GrantRefusedError unless the holder has the grant and its token is still valid. */
export function requireGrant(holder: GrantHolder, grant: RequiredGrant, nowMs: number = Date.now()): void {
  if (!holder.grants[grant]) throw new GrantRefusedError(ErrorCode.Forbidden, `token has no ${grant} grant`);
  if (holder.expiresAt !== undefined && nowMs >= holder.expiresAt * 1000) {
    throw new GrantRefusedError(ErrorCode.TokenExpired, 'token expired during the session: join again with a new token');
  }
}
