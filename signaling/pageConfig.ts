// What the call page may know about the server before joining (GET /api/config): which
// media transports it can carry and which engine forwards media. Nothing secret: no
// TURN credentials or URLs, no addresses.

/** The body of GET /api/config. */
export interface PageConfig {
  /** The SFU engine that runs, e.g. "werift" or "mediasoup". */
  engine: string;
  transports: {
    /** Direct UDP to the SFU (always on). */
    udp: boolean;
    /** Direct TCP to the SFU's passive ICE-TCP candidates (RTC_ICE_TCP). */
    iceTcp: boolean;
    /** A TURN relay reached over TCP (TURN_URLS with turns: or ?transport=tcp). */
    turnTcp: boolean;
  };
}

/** A TURN URL that reaches its server over TCP (turn:...?transport=tcp, or turns:, which is TLS over TCP). */
export function isTcpTurnUrl(url: string): boolean {
  if (url.startsWith('turns:')) return true;
  return url.startsWith('turn:') && /[?&]transport=tcp(&|$)/i.test(url);
}
