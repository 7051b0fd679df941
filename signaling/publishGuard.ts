// The bounds a participant's `publish` passes before it reaches the room or the media
// engine (PROTOCOL.md, "Media limits"): the offer's shape, m-line count and track count,
// and one publish at a time. A second publish while the first is still applied would race
// it inside the engine (werift applies both to one peer connection).
import { MediaRefusedError } from './mediaRefusal.js';
import { ErrorCode } from './protocol.js';
import { offerRefusal, type OfferLimits } from './sdpCheck.js';

export class PublishGuard {
  private inFlight = false;

  constructor(private readonly limits: OfferLimits) {}

  /** Runs `apply` for `offerSdp` if the offer is within bounds and no other publish is running; throws MediaRefusedError otherwise. */
  async run<T>(offerSdp: string, apply: () => Promise<T>): Promise<T> {
    const refusal = offerRefusal(offerSdp, this.limits);
    if (refusal) throw new MediaRefusedError(refusal.code === 'TRACK_LIMIT' ? ErrorCode.TrackLimit : ErrorCode.BadSdp, refusal.message);
    if (this.inFlight) throw new MediaRefusedError(ErrorCode.PublishInProgress, 'the previous publish is still being applied; send the next one after its response');
    this.inFlight = true;
    try {
      return await apply();
    } finally {
      this.inFlight = false;
    }
  }
}
