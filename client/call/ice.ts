// This protocol has no trickle ICE: descriptions go out with every candidate in them,
// so each side waits for gathering to finish (or for a short deadline) before sending.
import type { IceServer } from '../../signaling/protocol.js';

const ICE_GATHERING_TIMEOUT_MS = 2_000;

/** Resolves when `pc` has gathered all candidates, or after the timeout, whichever is first. */
export function iceGatheringComplete(pc: RTCPeerConnection, timeoutMs = ICE_GATHERING_TIMEOUT_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    const onChange = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

/** The ICE servers of a join result, in the shape RTCPeerConnection takes. */
export function rtcConfiguration(iceServers: readonly IceServer[]): RTCConfiguration {
  return {
    iceServers: iceServers.map((s) => ({
      urls: s.urls,
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(s.credential !== undefined ? { credential: s.credential } : {}),
    })),
  };
}
