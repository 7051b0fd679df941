// The process: reads configuration, wires signaling to the SFU, serves HTTP(S) and the
// WebSocket on one port, and shuts down cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TokenIssuer } from '../signaling/auth.js';
import { createLogger, lineWriter, type Logger } from '../signaling/log.js';
import { CloseCode } from '../signaling/protocol.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createHttpApp, createMetricsApp, defaultClientDir, httpServerOptions } from './http.js';
import { handleLastResortErrors } from './lastResort.js';
import { listen, ListenError } from './listen.js';
import { MediaEngineError, startMediaEngine } from './mediaEngine.js';
import { Metrics, type InternalErrorSource } from './metrics.js';
import { readyBanner } from './readyBanner.js';
import { createRooms } from './rooms.js';
import { newSfuTotals } from './sfu/totals.js';
import { selfSignedCertificate } from './tls.js';
import { turnIceServers } from './turnCredentials.js';
import { attachSignaling } from './websocket.js';

export interface RunningServer {
  url: string;
  port: number;
  nodeId: string;
  /** Counts an internal error caught outside the server (the process's last-resort handlers). */
  internalError(source: InternalErrorSource): void;
  stop(): Promise<void>;
}

export async function startServer(config: Config, log: Logger, clientDir = defaultClientDir()): Promise<RunningServer> {
  const tokens = new TokenIssuer(config.jwtSecret, config.tokenTtlSeconds, config.tokenPolicy);
  let signalingConnections = (): number => 0;
  const totals = newSfuTotals();
  const metrics: Metrics = new Metrics({ connections: () => signalingConnections(), rooms: () => rooms.stats(), sfuTotals: totals });
  const media = await startMediaEngine(config, totals, metrics, log);
  metrics.setMediaEngine(media.name);
  // mediasoup forwards inside its worker, where the controlled impairment cannot reach.
  const impairmentEnabled = config.impairmentEnabled && media.name === 'werift';
  if (config.impairmentEnabled && !impairmentEnabled) log.warn('SFU_IMPAIRMENT needs MEDIA_ENGINE=werift; impairment is off');
  const cluster = await createRooms(config, media.plane, log, { impairmentEnabled, onBusRejected: (reason) => metrics.busRejected(reason), onRecordRejected: (kind) => metrics.recordRejected(kind) });
  const rooms = cluster.service;
  let ready = false;

  const app = createHttpApp({
    config,
    tokens,
    clientDir,
    metrics: () => metrics.render(),
    ready: () => ready && cluster.healthy(),
    stats: () => ({ connections: signalingConnections(), mediaEngine: media.name, ...rooms.stats(), ...prefixed('media', media.stats()) }),
    mediaEngine: media.name,
  });

  const server = await createHttpServer(config, app);
  const signaling = attachSignaling(server, {
    rooms,
    tokens,
    log,
    iceServers: (identity) => (config.turn ? turnIceServers(config.turn, identity) : []),
    heartbeatMs: config.heartbeatMs,
    joinTimeoutMs: config.joinTimeoutMs,
    impairmentEnabled,
    media: { engine: media.name, simulcast: media.name === 'mediasoup' },
    offerLimits: { maxMLines: config.mediaLimits.maxMLinesPerOffer, maxTracks: config.mediaLimits.maxTracksPerParticipant },
    onRequest: (type, outcome, seconds) => metrics.request(type, outcome, seconds),
    onAuthRefused: (reason) => metrics.authRefused(reason),
    onInternalError: () => metrics.internalError('signaling'),
    videoSizeRate: config.videoSizeRate,
  }, {
    admission: config.admission,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    onRefused: (reason) => metrics.wsRefused(reason),
    onTerminated: (reason) => metrics.wsTerminated(reason),
  });
  signalingConnections = () => signaling.connections;

  let metricsServer: http.Server | undefined;
  try {
    await listen(server, config.port, config.host, 'PORT');
    if (config.metricsPort !== undefined) metricsServer = await listenMetrics(config, createMetricsApp(() => metrics.render()));
  } catch (err) {
    // Nothing was served yet: release what was started (media workers, Redis) and report.
    await signaling.close(CloseCode.Draining, 'server stopping', 0);
    await rooms.close();
    media.close();
    server.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const scheme = config.tls ? 'https' : 'http';
  const url = `${scheme}://localhost:${port}`;
  ready = true;

  return {
    url,
    port,
    nodeId: cluster.nodeId,
    internalError: (source) => metrics.internalError(source),
    async stop() {
      ready = false;
      // Drain: take no new rooms, move ours elsewhere, ask every client to reconnect
      // (to another node), and give them until the deadline.
      await cluster.drain();
      await signaling.close(CloseCode.Draining, 'server draining', config.shutdownDrainMs);
      await rooms.close();
      media.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      metricsServer?.closeAllConnections();
      metricsServer?.close();
    },
  };
}

async function createHttpServer(config: Config, app: http.RequestListener): Promise<http.Server> {
  const limits = httpServerOptions(config);
  if (!config.tls) return http.createServer(limits, app);
  const { cert, key } = 'selfSigned' in config.tls ? await selfSignedCertificate() : { cert: readFileSync(config.tls.cert, 'utf8'), key: readFileSync(config.tls.key, 'utf8') };
  return https.createServer({ ...limits, cert, key }, app);
}

/** The /metrics-only listener on METRICS_PORT (plain HTTP, same HOST). */
async function listenMetrics(config: Config, app: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(httpServerOptions(config), app);
  await listen(server, config.metricsPort ?? 0, config.host, 'METRICS_PORT');
  return server;
}

function prefixed(prefix: string, stats: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) if (typeof v === 'number') out[`${prefix}${k[0]?.toUpperCase()}${k.slice(1)}`] = v;
  return out;
}

/**
 * Lines for stderr, made at start-up so that stderr is watched from the first moment: Node
 * writes its own warnings there (deprecations, MaxListenersExceeded), and without a watcher
 * an EPIPE from a closed stderr pipe would be an uncaught exception that drains the node.
 */
const writeError = lineWriter(process.stderr);

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      writeError(err.message);
      process.exit(78);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const running = await startServer(config, log);
  log.info('listening', { url: running.url, node: running.nodeId, devTokens: config.devTokens, generatedSecret: config.jwtSecretGenerated });
  process.stdout.write(readyBanner(running.url, config.cluster.redisUrl ? { nodeId: running.nodeId } : undefined));

  let stopping = false;
  const shutdown = (signal: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), config.shutdownDrainMs + 5000);
    force.unref();
    running.stop().then(
      () => process.exit(exitCode),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Unhandled rejections: logged and counted. Uncaught exceptions: logged, counted, then this drain (lastResort.ts says why).
  handleLastResortErrors({ log, count: (source) => running.internalError(source), drain: shutdown });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err: unknown) => {
    if (err instanceof MediaEngineError) {
      writeError(err.message);
      process.exit(78);
    }
    if (err instanceof ListenError) {
      writeError(`cannot start: ${err.message}`);
      process.exit(1);
    }
    writeError(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
