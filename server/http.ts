// The HTTP side: client files, health and readiness, the page's configuration, and the
// development token endpoint.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
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

/** `admin` asks for the admin grant: it only matters where SFU_IMPAIRMENT is on. */
const tokenRequest = z.strictObject({ room: roomName, name: displayName, admin: z.boolean().optional() });

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...deps.stats() });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    res.status(ready ? 200 : 503).json({ ready });
  });

  app.get('/metrics', (_req, res, next) => {
    deps.metrics().then(({ contentType, body }) => {
      res.type(contentType).send(body);
    }, next);
  });

  // What the call page may offer (transports this server can carry); nothing secret.
  app.get('/api/config', (_req, res) => {
    res.json(pageConfig(deps.config, deps.mediaEngine));
  });

  app.post('/api/token', express.json({ limit: '4kb' }), (req: Request, res: Response) => {
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
    const identity = crypto.randomUUID();
    const token = deps.tokens.issue({ room: parsed.data.room, name: parsed.data.name, identity, grants: { admin: parsed.data.admin ?? false } });
    res.json({ token, identity, expiresIn: deps.config.tokenTtlSeconds });
  });

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

export function defaultClientDir(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), 'client');
}
