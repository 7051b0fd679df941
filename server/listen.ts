// Binding a port, with the failure a person can act on: which port, which setting chose it,
// and what to do, instead of a raw EADDRINUSE stack.
import type { Server } from 'node:net';

/** A port the server could not listen on; main prints the message and exits without a stack. */
export class ListenError extends Error {
  constructor(
    message: string,
    /** The errno code: EADDRINUSE, EACCES, EADDRNOTAVAIL, ... */
    readonly code: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/** The message for a failed listen on `host:port`, chosen by the setting `variable` (PORT, METRICS_PORT). */
export function listenFailure(code: string | undefined, host: string, port: number, variable: string): string {
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is busy: something else (another \`npm start\`?) already listens on ${where}. Stop it, or set ${variable} to a free port (${variable}=${port + 1} npm start).`;
    case 'EACCES':
      return `no permission to listen on port ${port} (${where}): ports below 1024 need privileges. Set ${variable} to 1024 or above.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${host} is not an address of this machine. Check HOST.`;
    default:
      return `cannot listen on ${where} (${variable}=${port}): ${code ?? 'unknown error'}`;
  }
}

/** Listens on `port` and `host`; rejects with a ListenError that names `variable`. */
export function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { code?: string }): void => reject(new ListenError(listenFailure(err.code, host, port, variable), err.code ?? 'UNKNOWN'));
    // Left attached as before: a later 'error' after the listen is absorbed, not thrown.
    server.once('error', onError);
    server.listen(port, host, () => resolve());
  });
}
