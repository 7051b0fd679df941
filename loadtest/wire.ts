// The two protocols the generator speaks: ours (signaling/PROTOCOL.md) and the bare
// broadcast protocol of bench/bareServer.ts, the baseline. Each turns the generator's few
// operations into frames and reads frames back into what the generator needs.
//
// Fan-out over our protocol: the protocol has no chat or data message, so a fan-out
// message is a `mute` toggle. The server broadcasts every change of a member's mute state
// to every other member as `participant-updated`, which is a real fan-out path. The
// sender alternates muted=true/false; each receiver counts the updates it got from that
// sender, and the k-th update is the sender's k-th toggle (one socket's frames stay in
// order), so muted must be true for even k. Pings are used for plain request latency.

/** What the generator needs to know about one incoming frame. */
export type Incoming =
  | { kind: 'response'; id: number | undefined; ok: boolean; code?: string; result?: unknown }
  /** A fan-out delivery from `sender`; `seq` when the frame carries it, `state` when it is inferred. */
  | { kind: 'fanout'; sender: string; seq?: number; state?: boolean }
  /** An offer for the subscriber connection (media mode answers it). */
  | { kind: 'offer'; sdp: string }
  | { kind: 'other' };

export interface Wire {
  readonly name: 'ours' | 'bare';
  /** Whether responses carry the request id (else they answer requests in order). */
  readonly responsesById: boolean;
  socketUrl(base: string, room: string): string;
  /** The join frame, or undefined when an open socket is already in the room. */
  joinFrame(id: number, token: string, room: string): string | undefined;
  fanoutFrame(id: number, sender: string, seq: number): string;
  pingFrame(id: number): string;
  leaveFrame(id: number): string | undefined;
  read(text: string): Incoming;
}

export const oursWire: Wire = {
  name: 'ours',
  responsesById: true,
  socketUrl: (base) => base,
  joinFrame: (id, token, room) => JSON.stringify({ type: 'join', id, token, room }),
  fanoutFrame: (id, _sender, seq) => `{"type":"mute","id":${id},"kind":"audio","muted":${seq % 2 === 0}}`,
  pingFrame: (id) => `{"type":"ping","id":${id}}`,
  leaveFrame: (id) => `{"type":"leave","id":${id}}`,
  read(text) {
    const fast = readParticipantUpdated(text);
    if (fast) return fast;
    let msg: { type?: unknown; id?: unknown; ok?: unknown; error?: { code?: unknown }; result?: unknown; sdp?: unknown; participant?: { id?: unknown; muted?: { audio?: unknown } } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return { kind: 'other' };
    }
    if (msg.type === 'response') {
      return {
        kind: 'response',
        id: typeof msg.id === 'number' ? msg.id : undefined,
        ok: msg.ok === true,
        ...(msg.ok === true ? { result: msg.result } : { code: String(msg.error?.code ?? 'UNKNOWN') }),
      };
    }
    if (msg.type === 'error') return { kind: 'response', id: undefined, ok: false, code: String(msg.error?.code ?? 'UNKNOWN') };
    if (msg.type === 'offer' && typeof msg.sdp === 'string') return { kind: 'offer', sdp: msg.sdp };
    if (msg.type === 'participant-updated' && typeof msg.participant?.id === 'string') {
      return { kind: 'fanout', sender: msg.participant.id, state: msg.participant.muted?.audio === true };
    }
    return { kind: 'other' };
  },
};

const UPDATED_PREFIX = '{"type":"participant-updated","participant":{"id":"';
const AUDIO_MUTED = '"muted":{"audio":';

/**
 * Reads the sender and audio mute state of a `participant-updated` event without
 * JSON.parse: receivers see (room size - 1) of these per send, and the generator must
 * stay cheaper than the server it measures. Any other shape falls back to JSON.parse.
 */
export function readParticipantUpdated(text: string): Incoming | undefined {
  if (!text.startsWith(UPDATED_PREFIX)) return undefined;
  const idEnd = text.indexOf('"', UPDATED_PREFIX.length);
  const muted = idEnd < 0 ? -1 : text.indexOf(AUDIO_MUTED, idEnd);
  if (muted < 0) return undefined;
  const value = muted + AUDIO_MUTED.length;
  const state = text.startsWith('true', value) ? true : text.startsWith('false', value) ? false : undefined;
  if (state === undefined) return undefined;
  return { kind: 'fanout', sender: text.slice(UPDATED_PREFIX.length, idEnd), state };
}

/** Pads bare messages to the size of our `participant-updated` event, so both move as many bytes. */
const BARE_PAD = 'x'.repeat(96);

export const bareWire: Wire = {
  name: 'bare',
  responsesById: false,
  socketUrl: (base, room) => `${base}${base.includes('?') ? '&' : '?'}room=${encodeURIComponent(room)}`,
  joinFrame: () => undefined,
  fanoutFrame: (id, sender, seq) => `{"type":"m","id":${id},"from":"${sender}","seq":${seq},"pad":"${BARE_PAD}"}`,
  pingFrame: (id) => `{"type":"ping","id":${id}}`,
  leaveFrame: () => undefined,
  read(text) {
    // The bare server answers each of our frames with a fixed ack and relays the frames of others.
    if (text === BARE_ACK) return { kind: 'response', id: undefined, ok: true };
    const from = text.indexOf('"from":"');
    const seq = from < 0 ? -1 : text.indexOf('"seq":', from);
    if (text.startsWith('{"type":"m",') && seq > 0) {
      const sender = text.slice(from + 8, text.indexOf('"', from + 8));
      return { kind: 'fanout', sender, seq: Number.parseInt(text.slice(seq + 6, seq + 22), 10) };
    }
    let msg: { type?: unknown; from?: unknown; seq?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return { kind: 'other' };
    }
    if (msg.type === 'm' && typeof msg.from === 'string' && typeof msg.seq === 'number') return { kind: 'fanout', sender: msg.from, seq: msg.seq };
    return { kind: 'other' };
  },
};

/** The bare server's answer to every frame a client sends. */
export const BARE_ACK = '{"type":"ack"}';
