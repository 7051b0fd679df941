// One simulated participant: a WebSocket, its requests matched to responses, and the
// fan-out deliveries it sees. Failures become stable error codes: `connect:<errno>`,
// `close:<code>`, `response:<ERROR_CODE>`, `timeout:<operation>`.
import WebSocket from 'ws';
import type { Metrics } from './metrics.js';
import type { Incoming, Wire } from './wire.js';

export interface BotContext {
  wire: Wire;
  metrics: Metrics;
  /** The server's /ws URL (the wire adds the room where its protocol needs it). */
  url: string;
  timeoutMs: number;
  onFanout(receiver: Bot, delivery: Extract<Incoming, { kind: 'fanout' }>, atMs: number): void;
}

/** An operation that failed, with a stable code for the report. */
export class LoadError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

type ResponseHandler = (response: Extract<Incoming, { kind: 'response' }> | LoadError) => void;

/** One socket of a bot and the requests waiting for answers on it. */
interface Connection {
  ws: WebSocket;
  opened: boolean;
  /** Set when we end the socket on purpose, so its close is not an error. */
  closing: boolean;
  /** Set when the server refused our join: its close that follows is the same refusal, counted once. */
  refused: boolean;
  byId: Map<number, ResponseHandler>;
  inOrder: ResponseHandler[];
  closeWaiters: Array<(code: number) => void>;
  /** Subscriber offers not yet taken (media mode), and who waits for the next one. */
  offers: string[];
  offerWaiters: Array<(sdp: string | undefined) => void>;
}

export class Bot {
  /** The id others see in fan-out deliveries: the server's participant id, or ours on the bare wire. */
  participantId: string | undefined;
  joined = false;
  private conn: Connection | undefined;
  private nextId = 1;

  constructor(
    readonly index: number,
    readonly room: string,
    readonly identity: string,
    private readonly ctx: BotContext,
  ) {}

  get isOpen(): boolean {
    return this.conn?.ws.readyState === WebSocket.OPEN;
  }

  /** Opens a new socket (the previous one, if any, must be closed or dropped); rejects with a LoadError. */
  connect(): Promise<void> {
    const { wire, metrics, timeoutMs } = this.ctx;
    this.joined = false;
    this.participantId = undefined;
    metrics.connectAttempts++;
    this.drop();
    const ws = new WebSocket(wire.socketUrl(this.ctx.url, this.room), { perMessageDeflate: false });
    const conn: Connection = { ws, opened: false, closing: false, refused: false, byId: new Map(), inOrder: [], closeWaiters: [], offers: [], offerWaiters: [] };
    this.conn = conn;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.closing = true;
        ws.terminate();
        reject(new LoadError('timeout:connect'));
      }, timeoutMs);
      ws.on('open', () => {
        conn.opened = true;
        clearTimeout(timer);
        metrics.socketOpened();
        resolve();
      });
      ws.on('error', (err: Error & { code?: string }) => {
        if (conn.opened) return; // 'close' follows and says the rest.
        clearTimeout(timer);
        const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
        reject(new LoadError(`connect:${status ? `HTTP_${status}` : (err.code ?? 'ERROR')}`));
      });
      ws.on('message', (data: Buffer) => this.onFrame(conn, data.toString()));
      ws.on('close', (code: number) => {
        clearTimeout(timer);
        if (this.conn === conn) {
          this.joined = false;
          this.conn = undefined;
        }
        if (conn.opened) {
          metrics.socketClosed();
          if (!conn.closing && !conn.refused) metrics.error(`close:${code}`);
        }
        // Requests cut off by a close we asked for are not failures of the server.
        const gone = new LoadError(conn.closing ? 'aborted' : `close:${code}`);
        for (const handler of conn.byId.values()) handler(gone);
        conn.byId.clear();
        for (const handler of conn.inOrder.splice(0)) handler(gone);
        for (const waiter of conn.closeWaiters.splice(0)) waiter(code);
        for (const waiter of conn.offerWaiters.splice(0)) waiter(undefined);
      });
    });
  }

  /** Joins the room; resolves with the participant id, rejects with a LoadError. */
  async join(token: string): Promise<string> {
    const sentAtMs = performance.now();
    if (this.ctx.wire.joinFrame(0, token, this.room) === undefined) {
      this.participantId = `b${this.index}`;
      this.joined = true;
      return this.participantId;
    }
    const conn = this.conn;
    const response = await new Promise<Extract<Incoming, { kind: 'response' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LoadError('timeout:join')), this.ctx.timeoutMs);
      this.request(
        (id) => this.ctx.wire.joinFrame(id, token, this.room)!,
        (r) => {
          clearTimeout(timer);
          if (r instanceof LoadError) reject(r);
          else if (!r.ok) {
            // A refused join (FORBIDDEN) is followed by a close whose code says why (4005: room
            // full): one refusal, counted once, under the close code.
            const errorCode = `response:${r.code ?? 'UNKNOWN'}`;
            if (!conn) return reject(new LoadError(errorCode));
            conn.refused = true;
            void this.waitClosed(conn).then((code) => reject(new LoadError(code === 1006 ? errorCode : `close:${code}`)));
          } else resolve(r);
        },
      );
    });
    this.ctx.metrics.record('joinRequest', performance.now() - sentAtMs);
    const id = (response.result as { participantId?: unknown } | undefined)?.participantId;
    if (typeof id !== 'string') throw new LoadError('response:NO_PARTICIPANT_ID');
    this.participantId = id;
    this.joined = true;
    return id;
  }

  /** Sends a request; `onResponse` gets its response or the LoadError that ended it. */
  request(frame: (id: number) => string, onResponse: ResponseHandler): void {
    const conn = this.conn;
    if (!conn || conn.ws.readyState !== WebSocket.OPEN) {
      onResponse(new LoadError('send:NOT_OPEN'));
      return;
    }
    const id = this.nextId++;
    if (this.ctx.wire.responsesById) conn.byId.set(id, onResponse);
    else conn.inOrder.push(onResponse);
    this.ctx.metrics.framesSent++;
    conn.ws.send(frame(id));
  }

  /**
   * The oldest subscriber offer on the current socket not yet taken, waiting for one if
   * none arrived; undefined once that socket is closed. Offers are kept from the moment
   * the socket opens, since the first can arrive right behind the join response.
   */
  nextOffer(): Promise<string | undefined> {
    const conn = this.conn;
    if (!conn) return Promise.resolve(undefined);
    const buffered = conn.offers.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    return new Promise((resolve) => conn.offerWaiters.push(resolve));
  }

  /** Leaves (our protocol: `leave`, then the server closes with 1000); resolves with the close code. */
  leave(): Promise<number> {
    const conn = this.conn;
    if (!conn) return Promise.resolve(1000);
    conn.closing = true;
    this.joined = false;
    const closed = this.waitClosed(conn);
    if (this.ctx.wire.leaveFrame(0) !== undefined && conn.ws.readyState === WebSocket.OPEN) {
      this.request((id) => this.ctx.wire.leaveFrame(id)!, () => undefined);
    } else {
      conn.ws.close(1000);
    }
    return closed;
  }

  /** Closes the socket normally; resolves with the close code (terminates after the timeout). */
  close(): Promise<number> {
    const conn = this.conn;
    if (!conn) return Promise.resolve(1000);
    conn.closing = true;
    this.joined = false;
    const closed = this.waitClosed(conn);
    if (conn.ws.readyState === WebSocket.CONNECTING) conn.ws.terminate();
    else conn.ws.close(1000);
    return closed;
  }

  /** Drops the connection without a close frame, as a network failure would. */
  drop(): void {
    const conn = this.conn;
    if (!conn) return;
    conn.closing = true;
    this.joined = false;
    conn.ws.terminate();
  }

  private waitClosed(conn: Connection): Promise<number> {
    if (conn.ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => conn.ws.terminate(), this.ctx.timeoutMs);
      conn.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  private onFrame(conn: Connection, text: string): void {
    const atMs = performance.now();
    this.ctx.metrics.framesReceived++;
    const incoming = this.ctx.wire.read(text);
    if (incoming.kind === 'fanout') {
      if (this.conn === conn) this.ctx.onFanout(this, incoming, atMs);
    } else if (incoming.kind === 'offer') {
      const waiter = conn.offerWaiters.shift();
      if (waiter) waiter(incoming.sdp);
      else conn.offers.push(incoming.sdp);
    } else if (incoming.kind === 'response') {
      let handler: ResponseHandler | undefined;
      if (incoming.id !== undefined) {
        handler = conn.byId.get(incoming.id);
        conn.byId.delete(incoming.id);
      } else if (!this.ctx.wire.responsesById) {
        handler = conn.inOrder.shift();
      }
      if (handler) handler(incoming);
      else if (!incoming.ok) this.ctx.metrics.error(`response:${incoming.code ?? 'UNKNOWN'}`);
    }
  }
}
