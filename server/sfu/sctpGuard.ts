// A guard in front of werift's SCTP receiver: every DATA chunk of a publisher connection
// passes its participant's DataBudget (dataBudget.ts) before werift files it. A chunk
// that breaks a bound is dropped before werift marks it received, so werift does not
// acknowledge it: a reliable sender sends it again later (backpressure, as for a lost
// packet), and a partial-reliability sender gives it up. werift's reassembly rescans its
// queue on every chunk, which is why unbounded large messages cost so much CPU there.
import { RTCSctpTransport, type RTCDtlsTransport } from 'werift';
import type { DataBudget } from './dataBudget.js';

/** SCTP DATA chunk flags (RFC 9260 3.3.1): B, the first fragment of a message. */
const FIRST_FRAGMENT = 0x02;

interface DataChunkLike {
  flags: number;
  tsn: number;
  streamId: number;
  userData: Buffer;
}

interface ReceivesChunks {
  receiveDataChunk(chunk: DataChunkLike): void;
}

/** Where each stream's current message started: its first TSN and the chunk size seen. */
interface StreamState {
  firstTsn: number;
}

const budgets = new WeakMap<RTCSctpTransport, DataBudget>();
let installed = false;

/** Makes `budget` the bound of what `transport` receives from now on. */
export function boundSctp(transport: RTCSctpTransport, budget: DataBudget): void {
  budgets.set(transport, budget);
}

/** Installs the guard for every SCTP association werift creates from now on in this process (idempotent). */
export function guardSctpReceivers(): void {
  if (installed) return;
  const setDtlsTransport = RTCSctpTransport.prototype.setDtlsTransport;
  if (typeof setDtlsTransport !== 'function') throw new Error('werift changed: no RTCSctpTransport.setDtlsTransport to guard SCTP in');
  installed = true;
  RTCSctpTransport.prototype.setDtlsTransport = function setDtlsTransportGuarded(this: RTCSctpTransport, dtls: RTCDtlsTransport): void {
    const before = this.sctp as unknown;
    setDtlsTransport.call(this, dtls);
    if (this.sctp !== before) guardAssociation(this, this.sctp as unknown as ReceivesChunks);
  };
}

function guardAssociation(transport: RTCSctpTransport, sctp: ReceivesChunks): void {
  const receive = sctp.receiveDataChunk;
  if (typeof receive !== 'function') throw new Error('werift changed: no SCTP receiveDataChunk to guard');
  const streams = new Map<number, StreamState>();
  sctp.receiveDataChunk = function receiveDataChunkGuarded(this: ReceivesChunks, chunk: DataChunkLike): void {
    const budget = budgets.get(transport);
    if (budget && !admit(budget, streams, chunk)) return;
    receive.call(this, chunk);
  };
}

function admit(budget: DataBudget, streams: Map<number, StreamState>, chunk: DataChunkLike): boolean {
  const bytes = chunk.userData.length;
  if (!budget.admitStream(chunk.streamId)) return false;
  // A message's fragments have consecutive TSNs, and all but the last are full-sized, so
  // the size up to this chunk is known from its distance to the first (also for a resent one).
  let state = streams.get(chunk.streamId);
  if (chunk.flags & FIRST_FRAGMENT) {
    state = { firstTsn: chunk.tsn };
    streams.set(chunk.streamId, state);
  }
  const fragments = state ? ((chunk.tsn - state.firstTsn) >>> 0) + 1 : 1;
  // A TSN before the current message's start (a late resend of an earlier message) wraps to a huge distance: judge it alone.
  const messageBytes = fragments <= 0xffff ? fragments * bytes : bytes;
  if (!budget.admitSize(messageBytes, bytes)) return false;
  return budget.admitBytes(bytes);
}
