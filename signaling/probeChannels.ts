// The latency probe's two data channels on the publisher connection (PROTOCOL.md, "Probe
// data channels"). Both sides create them negotiated out of band on these SCTP streams,
// because mediasoup does not speak DCEP; the SFU echoes every message on its channel.
export const PROBE_CHANNELS = [
  { streamId: 0, label: 'probe-reliable', ordered: true },
  { streamId: 1, label: 'probe-unreliable', ordered: false, maxRetransmits: 0 },
] as const;
