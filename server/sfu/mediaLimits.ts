// The media bounds both engines take from configuration (server/config.ts, MediaLimits),
// with the defaults the README documents for code that builds an engine without a Config.
import type { MediaLimits } from '../config.js';
import { MAX_OFFER_M_LINES, MAX_TRACKS_PER_PARTICIPANT } from '../../signaling/sdpCheck.js';
import { DEFAULT_DATA_LIMITS } from './dataBudget.js';

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxMLinesPerOffer: MAX_OFFER_M_LINES,
  maxTracksPerParticipant: MAX_TRACKS_PER_PARTICIPANT,
  ...DEFAULT_DATA_LIMITS,
  maxMediaConnections: 1000,
  iceMaxLearnedCandidates: 8,
};
