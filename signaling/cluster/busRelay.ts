// Request and response between nodes over the bus. Each node reads one channel of its own;
// a request carries an id, the asking node waits for the `res` with that id, and a refusal
// comes back with its protocol code (relayErrors.ts). A request fails SERVICE_DEGRADED
// when its node does not answer in time, and at once when that node is judged dead
// (PeerDeadError), so a join on its way to a dead owner can place the room again.
//
// The owner's events for an edge's sockets (`evt`, `end`) arrive on the same channel; the
// relay hands them to whoever was given at construction, it does not read them.
import { randomUUID } from 'node:crypto';
import { CodedError } from '../errors.js';
import { ErrorCode } from '../protocol.js';
import type { BusCodec, BusMessage, RelayOp } from './busMessages.js';
import type { BusRejections } from './busRejections.js';
import { Keys } from './keys.js';
import { errorFromBus, PeerDeadError, refusalForBus } from './relayErrors.js';
import type { MessageBus } from './types.js';

/** Owner to edge: an event for one of the edge's sockets, or the end of that socket. */
export type MemberMessage = Extract<BusMessage, { t: 'evt' } | { t: 'end' } | { t: 'media-failed' }>;

export interface BusRelayOptions {
  nodeId: string;
  /** How long a relayed request may take. */
  requestTimeoutMs: number;
  /** Answers a request from node `from`; what it throws goes back as the refusal. */
  handle: (from: string, body: RelayOp) => Promise<unknown>;
  /** An owner's message for one of this node's relayed sockets. */
  onMemberMessage: (message: MemberMessage) => void;
}

interface Waiting {
  node: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class BusRelay {
  /** Requests sent and not answered yet, by id. */
  private readonly pending = new Map<string, Waiting>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(
    private readonly bus: MessageBus,
    private readonly codec: BusCodec,
    private readonly rejections: BusRejections,
    private readonly options: BusRelayOptions,
  ) {}

  /** Reads this node's channel. */
  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(Keys.nodeChannel(this.options.nodeId), (payload) => this.onPayload(payload));
  }

  /** Asks `node` and resolves with its answer, or rejects with its refusal. */
  request(node: string, body: RelayOp): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CodedError(ErrorCode.Degraded, `node ${node} did not answer ${body.op} within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      this.pending.set(id, { node, resolve, reject, timer });
      this.send(node, { t: 'req', id, from: this.options.nodeId, body }).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** One message to `node`'s channel, unanswered (an owner's event for an edge). */
  send(node: string, message: BusMessage): Promise<void> {
    return this.bus.publish(Keys.nodeChannel(node), this.codec.encode(message));
  }

  /** Requests waiting on a dead node fail now, not at their timeout. */
  peersDied(dead: ReadonlySet<string>): void {
    for (const [id, waiting] of this.pending) {
      if (!dead.has(waiting.node)) continue;
      this.pending.delete(id);
      clearTimeout(waiting.timer);
      waiting.reject(new PeerDeadError(waiting.node));
    }
  }

  /** Fails every waiting request and stops reading the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error('node shutting down'));
    }
    this.pending.clear();
    await this.unsubscribe?.().catch(() => undefined);
  }

  private onPayload(payload: string): void {
    const decoded = this.codec.decode(payload);
    if (!decoded.ok) return this.rejections.rejected(decoded.reason, decoded.detail, payload.length);
    const message = decoded.message;
    switch (message.t) {
      case 'req': {
        const reply = (res: BusMessage): void => {
          this.send(message.from, res).catch(() => undefined);
        };
        this.options.handle(message.from, message.body).then(
          (value) => reply({ t: 'res', id: message.id, ok: true, value: value ?? null }),
          (err: unknown) => reply({ t: 'res', id: message.id, ok: false, ...refusalForBus(err) }),
        );
        return;
      }
      case 'res': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.ok) waiting.resolve(message.value);
        else waiting.reject(errorFromBus(message));
        return;
      }
      case 'evt':
      case 'end':
      case 'media-failed':
        this.options.onMemberMessage(message);
        return;
      case 'beat':
        // Beats have a channel of their own (nodeLiveness.ts); on this one they are ignored, as before.
        return;
    }
  }
}
