// The HTTP side: client files, health and readiness, the page's configuration, and the
// development token endpoint.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { displayName, roomName, type TokenIssuer } from '../signaling/auth.js';
import { bounded, ERROR_TEXT_CHARS } from '../signaling/clientValue.js';
import type { Config } from './config.js';
import { pageConfig } from './pageConfig.js';

export interface HttpDeps {
  config: Config;
  tokens: TokenIssuer;
  clientDir: string;
  /** Prometheus text exposition. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Ready to take calls (false while starting or draining). */
  ready: () => boolean;
  /** Counts for /healthz: rooms, participants, open media connections. */
  stats: () => Record<string, number | string>;
  /** The SFU engine that runs (for GET /api/config). */
  mediaEngine: string;
}

/** `admin` is read only to refuse it clearly: this endpoint never grants admin (issue 12). */
const tokenRequest = z.strictObject({ room: roomName, name: displayName, admin: z.boolean().optional() });

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // req.secure then believes the X-Forwarded-Proto of the proxies that X-Forwarded-For is believed from.
  if (deps.config.admission.trustProxyHops > 0) app.set('trust proxy', deps.config.admission.trustProxyHops);
  app.use(securityHeaders(deps.config));
  app.use(strictTransportSecurity(deps.config));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...deps.stats() });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    res.status(ready ? 200 : 503).json({ ready });
  });

  // With METRICS_PORT, /metrics is served there only (createMetricsApp), not to the public port.
  if (deps.config.metricsPort === undefined) app.get('/metrics', metricsHandler(deps.metrics));

  // What the call page may offer (transports this server can carry); nothing secret.
  app.get('/api/config', (_req, res) => {
    res.json(pageConfig(deps.config, deps.mediaEngine));
  });

  app.post('/api/token', express.json({ limit: '4kb' }), (req: Request, res: Response) => {
    // A token is a credential: no cache (browser or proxy) may keep it.
    res.set('Cache-Control', 'no-store');
    if (!deps.config.devTokens) {
      res.status(404).json({ error: { code: 'DISABLED', message: 'the development token endpoint is off; tokens come from your application backend' } });
      return;
    }
    const parsed = tokenRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // zod's messages can quote the body (an unknown field's name), hence the bound.
      res.status(400).json({ error: { code: 'BAD_REQUEST', message: bounded(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, ERROR_TEXT_CHARS) } });
      return;
    }
    if (parsed.data.admin === true) {
      // Anyone may call this endpoint; admin may impair everyone's media in a room.
      res.status(403).json({ error: { code: 'ADMIN_NOT_GRANTED', message: 'the development token endpoint never grants admin: sign an admin token with JWT_SECRET' } });
      return;
    }
    const identity = crypto.randomUUID();
    const token = deps.tokens.issue({ room: parsed.data.room, name: parsed.data.name, identity, grants: { admin: false } });
    res.json({ token, identity, expiresIn: deps.config.tokenTtlSeconds });
  });

  if (deps.config.nodeEnv === 'production') {
    // Source maps would hand out the client's sources; production serves none.
    app.use((req, res, next) => (req.path.endsWith('.map') ? res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such resource' } }) : next()));
  }
  if (existsSync(deps.clientDir)) {
    app.use(express.static(deps.clientDir, { index: 'index.html', maxAge: 0 }));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text').send('client bundle missing: run `npm run build`');
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such resource' } });
  });
  // Body parser errors (bad JSON, too large) end here: a clear 4xx, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    const message = status === 413 ? 'request body too large' : status < 500 ? 'malformed request body' : 'internal error';
    res.status(status).json({ error: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL', message } });
  });
  return app;
}

/** The app on METRICS_PORT: /metrics and nothing else. */
export function createMetricsApp(metrics: HttpDeps['metrics']): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics));
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such resource' } });
  });
  return app;
}

function metricsHandler(metrics: HttpDeps['metrics']): (req: Request, res: Response, next: NextFunction) => void {
  return (_req, res, next) => {
    metrics().then(({ contentType, body }) => {
      res.type(contentType).send(body);
    }, next);
  };
}

/**
 * Security headers (helmet). The call page loads only its own script and styles (no inline
 * ones) and connects only to its own origin's WebSocket; media flows over WebRTC, which CSP
 * does not govern. It may not be framed. HSTS: strictTransportSecurity below.
 */
function securityHeaders(config: Config): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // The page's favicon is `data:,`.
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:', 'mediastream:'],
        connectSrc: ["'self'", (req) => ownWebSocketOrigins(req.headers.host)],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
}

/**
 * HSTS on responses that reached the browser over TLS: always when this server speaks TLS
 * itself, and behind a trusted proxy (TRUST_PROXY_HOPS) when the proxy says the browser
 * used https (X-Forwarded-Proto). A plain-HTTP server on a LAN must not make browsers
 * insist on HTTPS for its host, and an untrusted header must not make it do so either.
 */
function strictTransportSecurity(config: Config): RequestHandler {
  const hsts = helmet.strictTransportSecurity({ maxAge: 180 * 24 * 3600, includeSubDomains: false });
  return (req, res, next) => {
    if (config.tls || (config.admission.trustProxyHops > 0 && req.secure)) hsts(req, res, next);
    else next();
  };
}

/** `ws://host wss://host` for the request's Host (for browsers whose 'self' does not cover WebSockets), or nothing for an odd Host. */
function ownWebSocketOrigins(host: string | undefined): string {
  if (host === undefined || !/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return '';
  return `ws://${host} wss://${host}`;
}

/**
 * Node's HTTP server options for the limits on slow clients: the whole header block within
 * `httpHeadersTimeoutMs`, the whole request within `httpRequestTimeoutMs` (then 408 and
 * close). Node checks them on a timer; it runs often enough that a limit holds to within
 * a quarter of it (at most a second late).
 */
export function httpServerOptions(config: Pick<Config, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs'>): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: config.httpHeadersTimeoutMs,
    requestTimeout: config.httpRequestTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(config.httpHeadersTimeoutMs / 4))),
  };
}

export function defaultClientDir(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), 'client');
}
