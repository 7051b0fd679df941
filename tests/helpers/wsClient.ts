// A signaling client for tests: sends requests and awaits their responses by id, buffers
// server events until a test asks for them, and reports how the socket closed. It fails
// fast: a wait ends as soon as the socket closes, with what was received so far.
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import type { JoinResult, ServerMessage } from '../../signaling/protocol.js';

export type Response = Extract<ServerMessage, { type: 'response' }>;
/** Everything the server sends that is not a response: events and id-less errors. */
export type ServerEvent = Exclude<ServerMessage, { type: 'response' }>;
export type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;
export interface Closed {
  code: number;
  reason: string;
}

interface Waiter {
  matches(message: ServerMessage): boolean;
  resolve(message: ServerMessage): void;
  reject(error: Error): void;
}

export class TestClient {
  /** Resolves when the socket closed, with the code and reason the client saw. */
  readonly closed: Promise<Closed>;
  private readonly buffered: ServerMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private closedWith: Closed | undefined;
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        for (const waiter of this.waiters) waiter.reject(new Error(`socket closed (${code} ${reason.toString()}) while waiting; received: ${this.describeBuffer()}`));
        this.waiters.clear();
        resolve(this.closedWith);
      });
    });
    socket.on('message', (data: RawData) => this.receive(data));
    // Errors (e.g. the server dropping the connection) always end in 'close'.
    socket.on('error', () => {});
  }

  static connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, options);
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a request with the next id and resolves with its response (ok or not). */
  request(message: Record<string, unknown> & { type: string }, timeoutMs = 5_000): Promise<Response> {
    const id = this.nextId++;
    this.sendRaw(JSON.stringify({ ...message, id }));
    return this.response(id, timeoutMs);
  }

  /** The response to a request id, for requests sent raw. */
  response(id: number, timeoutMs = 5_000): Promise<Response> {
    return this.take((m) => m.type === 'response' && m.id === id, `response ${id}`, timeoutMs) as Promise<Response>;
  }

  /** The oldest not yet taken event of this type, waiting for it if none has arrived. */
  nextEvent<T extends ServerEvent['type']>(type: T, timeoutMs = 5_000): Promise<EventOf<T>> {
    return this.take((m) => m.type === type, `event ${type}`, timeoutMs) as Promise<EventOf<T>>;
  }

  /** Resolves if no event of this type arrives within the window; for asserting absence. */
  async noEvent(type: ServerEvent['type'], windowMs: number): Promise<void> {
    const event = await this.nextEvent(type, windowMs).catch(() => undefined);
    if (event) throw new Error(`expected no ${type} within ${windowMs} ms, got ${JSON.stringify(event)}`);
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** A clean close from the client side. */
  async close(): Promise<Closed> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    return this.closed;
  }

  /** Drops the TCP connection without a close frame, like a crashed tab. */
  terminate(): void {
    this.socket.terminate();
  }

  private receive(data: RawData): void {
    const message = JSON.parse(data.toString()) as ServerMessage;
    for (const waiter of this.waiters) {
      if (waiter.matches(message)) {
        this.waiters.delete(waiter);
        waiter.resolve(message);
        return;
      }
    }
    this.buffered.push(message);
  }

  private take(matches: (m: ServerMessage) => boolean, what: string, timeoutMs: number): Promise<ServerMessage> {
    const index = this.buffered.findIndex(matches);
    if (index >= 0) return Promise.resolve(this.buffered.splice(index, 1)[0]!);
    if (this.closedWith) {
      return Promise.reject(new Error(`socket already closed (${this.closedWith.code}) before ${what}; received: ${this.describeBuffer()}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${this.describeBuffer()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        matches,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private describeBuffer(): string {
    return JSON.stringify(this.buffered.map((m) => m.type));
  }
}

/** Waits for a promise, failing with a clear message if it takes longer than the limit. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The clients one test opened, so afterEach can drop whatever a test left open. */
export class ClientPool {
  private readonly clients = new Set<TestClient>();

  constructor(private readonly wsUrl: () => string) {}

  async connect(options: ClientOptions = {}): Promise<TestClient> {
    const client = await TestClient.connect(this.wsUrl(), options);
    this.clients.add(client);
    return client;
  }

  async joined(token: string, room: string, options: ClientOptions = {}): Promise<{ client: TestClient; result: JoinResult }> {
    const client = await this.connect(options);
    const response = await client.request({ type: 'join', token, room });
    if (!response.ok) throw new Error(`join refused: ${response.error.code} ${response.error.message}`);
    return { client, result: response.result as JoinResult };
  }

  dropAll(): void {
    for (const client of this.clients) client.terminate();
    this.clients.clear();
  }
}

let rooms = 0;
/** A room name no other test uses, so tests sharing a server do not hear each other. */
export function freshRoom(prefix = 'room'): string {
  rooms += 1;
  return `${prefix}-${process.pid}-${rooms}`;
}
