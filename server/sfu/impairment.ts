// Controlled impairment: drops a share of forwarded packets and delays the rest, on the
// way from the SFU to subscribers. Off unless the server enables it (SFU_IMPAIRMENT) and
// an admin sets it for a room. It lets the browser's figures be checked against a known
// truth.
import type { ImpairmentSettings, MediaKind } from '../../signaling/protocol.js';

export interface ImpairmentDecision {
  drop: boolean;
  delayMs: number;
}

export class Impairment {
  constructor(
    readonly settings: ImpairmentSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether packets of this kind to this subscriber are impaired at all. */
  applies(subscriberId: string, kind: MediaKind): boolean {
    const s = this.settings;
    return (s.kind === 'all' || s.kind === kind) && (s.subscriberId === undefined || s.subscriberId === subscriberId);
  }

  decide(): ImpairmentDecision {
    const s = this.settings;
    if (s.lossPercent > 0 && this.random() * 100 < s.lossPercent) return { drop: true, delayMs: 0 };
    const delayMs = s.delayMs + (s.jitterMs > 0 ? this.random() * s.jitterMs : 0);
    return { drop: false, delayMs };
  }
}

export function describeImpairment(s: ImpairmentSettings): string {
  const parts: string[] = [];
  if (s.lossPercent > 0) parts.push(`${s.lossPercent}% loss`);
  if (s.delayMs > 0) parts.push(`${s.delayMs} ms delay`);
  if (s.jitterMs > 0) parts.push(`${s.jitterMs} ms jitter`);
  return `${parts.join(', ') || 'none'} on ${s.kind}${s.subscriberId ? ` to ${s.subscriberId}` : ''}`;
}
