// The body of GET /api/config: what the call page may offer, from the configuration
// read at start-up and the engine that actually runs (MEDIA_ENGINE=auto resolves to one).
import { isTcpTurnUrl, type PageConfig } from '../signaling/pageConfig.js';
import type { Config } from './config.js';

export function pageConfig(config: Config, engine: string): PageConfig {
  return {
    engine,
    transports: {
      udp: true,
      iceTcp: config.rtc.iceTcp,
      turnTcp: config.turn?.urls.some(isTcpTurnUrl) ?? false,
    },
  };
}
