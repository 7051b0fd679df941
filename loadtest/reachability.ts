// Before the run: can a TCP connection reach the server at all? Without this check a
// closed port showed as "fetch failed" (the token endpoint) or as every bot's
// connect:ECONNREFUSED for the whole --duration. A person needs the address and what to check.
import { connect } from 'node:net';

/** The server behind --url cannot be reached; the message says where and what to check. */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** What to tell a person for a failed connection to `url` with the errno `code`. */
export function unreachableMessage(url: string, code: string): string {
  const target = new URL(url);
  const port = target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  const hostPort = `${target.hostname}:${port}`;
  const hint =
    code === 'ECONNREFUSED'
      ? `nothing listens on ${hostPort}. Is the server running (npm start), and is the port in --url the server's PORT?`
      : code === 'ETIMEDOUT' || code === 'timeout'
        ? `no answer from ${hostPort} in time. Is the host up, and does a firewall drop the connection?`
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `the name ${target.hostname} does not resolve. Check the host in --url.`
          : `check that the server is running and that --url names its host and PORT.`;
  return `cannot connect to ${url} (${code}): ${hint}`;
}

/** Resolves once a TCP connection to the URL's host and port opens (and closes it again). */
export function checkReachable(url: string, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (code: string): void => {
      socket.destroy();
      reject(new UnreachableError(unreachableMessage(url, code), code));
    };
    socket.setTimeout(timeoutMs, () => fail('timeout'));
    socket.once('error', (err: Error & { code?: string }) => fail(err.code ?? 'ERROR'));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}
