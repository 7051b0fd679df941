// Configuration: read from the environment once, at start-up, into a typed object.
// Nothing else in the code reads process.env. A bad value stops the server with a
// message that names the variable.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '../signaling/auth.js';
import { secretProblem } from './secretStrength.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const ip = z.string().refine((v) => isIP(v) !== 0, 'must be an IP address');
const positiveMs = z.coerce.number().int().min(50).max(3_600_000);

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    DEV_TOKENS: bool.optional(),
    TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(7 * 24 * 3600).default(6 * 3600),
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    TLS_SELF_SIGNED: bool.default(false),
    RTC_MIN_PORT: port.min(1024).optional(),
    RTC_MAX_PORT: port.min(1024).optional(),
    RTC_LISTEN_IP: ip.optional(),
    RTC_ANNOUNCED_IP: ip.optional(),
    RTC_ICE_TCP: bool.default(true),
    TURN_SECRET: z.string().min(1).optional(),
    TURN_URLS: z
      .string()
      .transform((v) => v.split(',').map((u) => u.trim()).filter((u) => u !== ''))
      .pipe(z.array(z.string().regex(/^(turns?|stun):[^\s]+$/, 'each URL must start with turn:, turns: or stun:')).min(1))
      .optional(),
    TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(3600),
    HEARTBEAT_INTERVAL_MS: positiveMs.default(10_000),
    JOIN_TIMEOUT_MS: positiveMs.default(10_000),
    SFU_IMPAIRMENT: bool.default(false),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "-", "_" and "." only').optional(),
    PUBLIC_URL: z.string().url().optional(),
    NODE_TTL_MS: positiveMs.default(5000),
    LEASE_TTL_MS: positiveMs.default(5000),
    NODE_BEAT_INTERVAL_MS: positiveMs.default(250),
    NODE_DEAD_AFTER_MS: positiveMs.default(1000),
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
    RESUME_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(15_000),
    MEDIA_STATS_INTERVAL_MS: positiveMs.default(2000),
    MAX_PARTICIPANTS_PER_ROOM: z.coerce.number().int().min(1).max(100).default(16),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    MEDIA_ENGINE: z.enum(['auto', 'mediasoup', 'werift']).default('auto'),
    MEDIASOUP_WORKER_BIN: z.string().min(1).optional(),
    MEDIASOUP_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
    // Simulcast layer preference (helper "layers"): how often a page may report a tile's size.
    VIDEO_SIZE_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(10),
    VIDEO_SIZE_BURST: z.coerce.number().int().min(1).max(1000).default(30),
    // ---- tokens, grants, secrets and the Redis bus (issue 12, "grants") ----
    JWT_AUDIENCE: z.string().min(1).max(256).optional(),
    JWT_ISSUER: z.string().min(1).max(256).optional(),
    JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
    // Media bounds (issue 12): SDP, data channels, media connections, ICE.
    MAX_MLINES_PER_OFFER: z.coerce.number().int().min(1).max(64).default(8),
    MAX_TRACKS_PER_PARTICIPANT: z.coerce.number().int().min(1).max(32).default(4),
    DATA_CHANNELS_PER_PARTICIPANT: z.coerce.number().int().min(2).max(64).default(4),
    DATA_MESSAGE_MAX_BYTES: z.coerce.number().int().min(1024).max(262_144).default(16_384),
    DATA_RATE_BYTES_PER_SECOND: z.coerce.number().int().min(1024).max(100_000_000).default(65_536),
    DATA_BURST_BYTES: z.coerce.number().int().min(1024).max(100_000_000).default(262_144),
    DATA_ABUSE_DROPS: z.coerce.number().int().min(1).max(100_000).default(16),
    MAX_MEDIA_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    ICE_MAX_LEARNED_CANDIDATES: z.coerce.number().int().min(1).max(64).default(8),
    // ---- admission, slow consumers, HTTP hardening (issue 12) ----
    ALLOWED_ORIGINS: z
      .string()
      .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o !== ''))
      .pipe(z.array(z.string().refine(isOrigin, 'each entry must be an origin such as https://call.example.org (scheme, host, optional port; no path)')))
      .optional(),
    WS_MAX_SOCKETS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    WS_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(200),
    WS_NEW_SOCKETS_PER_IP_PER_SECOND: z.coerce.number().min(0.01).max(1_000_000).default(20),
    WS_NEW_SOCKETS_PER_IP_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(1024 * 1024),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    METRICS_PORT: port.optional(),
  })
  .superRefine((env, ctx) => {
    // ---- admission, slow consumers, HTTP hardening (issue 12) ----
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not be above HTTP_REQUEST_TIMEOUT_MS' });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
    // A peer is dead after this much silence; a couple of late beats must not look like it.
    if (env.NODE_DEAD_AFTER_MS < env.NODE_BEAT_INTERVAL_MS * 2.5) {
      ctx.addIssue({ code: 'custom', path: ['NODE_DEAD_AFTER_MS'], message: 'must be at least 2.5 × NODE_BEAT_INTERVAL_MS' });
    }
  })
  .superRefine((env, ctx) => {
    if ((env.RTC_MIN_PORT === undefined) !== (env.RTC_MAX_PORT === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['RTC_MAX_PORT'], message: 'RTC_MIN_PORT and RTC_MAX_PORT must be set together' });
    } else if (env.RTC_MIN_PORT !== undefined && env.RTC_MAX_PORT !== undefined && env.RTC_MIN_PORT >= env.RTC_MAX_PORT) {
      ctx.addIssue({ code: 'custom', path: ['RTC_MAX_PORT'], message: 'must be greater than RTC_MIN_PORT' });
    }
    if ((env.TLS_CERT === undefined) !== (env.TLS_KEY === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['TLS_KEY'], message: 'TLS_CERT and TLS_KEY must be set together' });
    }
    if ((env.TURN_SECRET === undefined) !== (env.TURN_URLS === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['TURN_URLS'], message: 'TURN_SECRET and TURN_URLS must be set together' });
    }
    if (env.REDIS_URL !== undefined && env.JWT_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required with REDIS_URL: every node must accept the same tokens' });
    }
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    // ---- issue 12, "grants" ----
    if (env.TOKEN_TTL_SECONDS > env.JWT_MAX_LIFETIME_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['TOKEN_TTL_SECONDS'], message: `must not exceed JWT_MAX_LIFETIME_SECONDS (${env.JWT_MAX_LIFETIME_SECONDS}): the server would refuse its own tokens` });
    }
    // Whoever knows JWT_SECRET mints any grant; whoever knows TURN_SECRET relays through our TURN.
    if (env.NODE_ENV === 'production') {
      for (const name of ['JWT_SECRET', 'TURN_SECRET'] as const) {
        const secret = env[name];
        const problem = secret === undefined ? undefined : secretProblem(secret);
        if (problem) ctx.addIssue({ code: 'custom', path: [name], message: `${problem} (NODE_ENV=production)` });
      }
    }
  });

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** HS256 secret for participant tokens. */
  jwtSecret: string;
  /** True when the secret was generated at start-up (tokens die with the process). */
  jwtSecretGenerated: boolean;
  /** Serve POST /api/token for anyone: development convenience. */
  devTokens: boolean;
  tokenTtlSeconds: number;
  tls: { cert: string; key: string } | { selfSigned: true } | undefined;
  rtc: {
    portRange: [number, number] | undefined;
    listenIp: string | undefined;
    announcedIp: string | undefined;
    /** Offer passive ICE-TCP host candidates beside the UDP ones. */
    iceTcp: boolean;
  };
  /** TURN servers handed to clients with short-lived credentials (TURN REST scheme); undefined: none. */
  turn: { secret: string; urls: string[]; ttlSeconds: number } | undefined;
  heartbeatMs: number;
  joinTimeoutMs: number;
  cluster: {
    /** Cluster mode when set: rooms are placed across the nodes sharing this Redis. */
    redisUrl: string | undefined;
    nodeId: string | undefined;
    publicUrl: string | undefined;
    nodeTtlMs: number;
    leaseTtlMs: number;
    /** Beats on the bus, and the silence after which a peer node is dead (fast failover). */
    beatIntervalMs: number;
    deadAfterMs: number;
  };
  /** On SIGTERM: how long clients get to move before the process exits. */
  shutdownDrainMs: number;
  /** How long a participant whose socket vanished may resume before it leaves. */
  resumeGraceMs: number;
  /** Admins may impair forwarding (demonstrations and tests); off by default. */
  impairmentEnabled: boolean;
  /** How often the SFU sends each participant its measurements (`media-stats`). */
  mediaStatsIntervalMs: number;
  maxParticipantsPerRoom: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  media: {
    /** `auto`: mediasoup where its worker binary exists, werift otherwise. */
    engine: 'auto' | 'mediasoup' | 'werift';
    /** mediasoup's worker binary; mediasoup's own location when unset. */
    workerBin: string | undefined;
    /** mediasoup worker processes: one per core by default. */
    workers: number;
  };
  // Simulcast layer preference (helper "layers").
  /** `video-size` reports a session may send: sustained per second, and at once. */
  videoSizeRate: { perSecond: number; burst: number };
  // ---- issue 12, "grants" ----
  /** What a participant token must carry beyond a valid signature. */
  tokenPolicy: {
    /** Required `aud` (and put on issued tokens); undefined: not checked. */
    audience: string | undefined;
    /** Required `iss` (and put on issued tokens); undefined: not checked. */
    issuer: string | undefined;
    /** Longest lifetime (exp - iat) a token may have. */
    maxLifetimeSeconds: number;
  };
  /** Media bounds (issue 12): what one participant may do to a node's media plane. */
  mediaLimits: MediaLimits;
  // ---- admission, slow consumers, HTTP hardening (issue 12) ----
  admission: {
    /** Origins besides the server's own (its Host header, PUBLIC_URL) whose pages may open the WebSocket. */
    allowedOrigins: string[];
    maxSockets: number;
    maxSocketsPerIp: number;
    newSocketsPerIpPerSecond: number;
    newSocketsPerIpBurst: number;
    /** Proxies in front of the server whose X-Forwarded-For entries are believed (0: none). */
    trustProxyHops: number;
  };
  /** A socket whose send queue grows past this is closed as a slow consumer (4014). */
  wsMaxBufferedBytes: number;
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** Serve /metrics on this port only (not on PORT); undefined: on PORT. */
  metricsPort: number | undefined;
}

/** `scheme://host[:port]` and nothing more: what a browser sends as Origin. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

export interface MediaLimits {
  /** m-lines in one publish offer. */
  maxMLinesPerOffer: number;
  /** Sending audio/video m-lines one participant may publish. */
  maxTracksPerParticipant: number;
  /** SCTP streams (data channels, the two probe channels included) per participant. */
  dataChannelsPerParticipant: number;
  /** Largest data channel message; larger ones are dropped and counted. */
  dataMessageMaxBytes: number;
  /** Data channel bytes per second per participant, and the burst above it. */
  dataRateBytesPerSecond: number;
  dataBurstBytes: number;
  /** Drops within 10 s after which the participant is closed with 4015. */
  dataAbuseDrops: number;
  /** Media connections (werift peer connections, mediasoup transports) this node serves; werift also stops at its port range. */
  maxMediaConnections: number;
  /** Peer-reflexive candidates one werift connection learns from STUN checks. */
  iceMaxLearnedCandidates: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // A blank variable (`PORT=` in an env file, `${PORT}` of an unset one in compose) counts
  // as unset; otherwise z.coerce would read PORT= as port 0, a random port.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    jwtSecret: e.JWT_SECRET ?? randomBytes(32).toString('base64url'),
    jwtSecretGenerated: e.JWT_SECRET === undefined,
    // Development tokens are on by default except in production, where they must be asked for.
    devTokens: e.DEV_TOKENS ?? !production,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tls: e.TLS_CERT && e.TLS_KEY ? { cert: e.TLS_CERT, key: e.TLS_KEY } : e.TLS_SELF_SIGNED ? { selfSigned: true } : undefined,
    rtc: {
      portRange: e.RTC_MIN_PORT !== undefined && e.RTC_MAX_PORT !== undefined ? [e.RTC_MIN_PORT, e.RTC_MAX_PORT] : undefined,
      listenIp: e.RTC_LISTEN_IP,
      announcedIp: e.RTC_ANNOUNCED_IP,
      iceTcp: e.RTC_ICE_TCP,
    },
    turn: e.TURN_SECRET && e.TURN_URLS ? { secret: e.TURN_SECRET, urls: e.TURN_URLS, ttlSeconds: e.TURN_TTL_SECONDS } : undefined,
    heartbeatMs: e.HEARTBEAT_INTERVAL_MS,
    joinTimeoutMs: e.JOIN_TIMEOUT_MS,
    impairmentEnabled: e.SFU_IMPAIRMENT,
    resumeGraceMs: e.RESUME_GRACE_MS,
    cluster: {
      redisUrl: e.REDIS_URL,
      nodeId: e.NODE_ID,
      publicUrl: e.PUBLIC_URL,
      nodeTtlMs: e.NODE_TTL_MS,
      leaseTtlMs: e.LEASE_TTL_MS,
      beatIntervalMs: e.NODE_BEAT_INTERVAL_MS,
      deadAfterMs: e.NODE_DEAD_AFTER_MS,
    },
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    mediaStatsIntervalMs: e.MEDIA_STATS_INTERVAL_MS,
    maxParticipantsPerRoom: e.MAX_PARTICIPANTS_PER_ROOM,
    logLevel: e.LOG_LEVEL,
    media: { engine: e.MEDIA_ENGINE, workerBin: e.MEDIASOUP_WORKER_BIN, workers: e.MEDIASOUP_WORKERS ?? availableParallelism() },
    videoSizeRate: { perSecond: e.VIDEO_SIZE_RATE_PER_SECOND, burst: e.VIDEO_SIZE_BURST },
    tokenPolicy: { audience: e.JWT_AUDIENCE, issuer: e.JWT_ISSUER, maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS },
    mediaLimits: {
      maxMLinesPerOffer: e.MAX_MLINES_PER_OFFER,
      maxTracksPerParticipant: e.MAX_TRACKS_PER_PARTICIPANT,
      dataChannelsPerParticipant: e.DATA_CHANNELS_PER_PARTICIPANT,
      dataMessageMaxBytes: e.DATA_MESSAGE_MAX_BYTES,
      dataRateBytesPerSecond: e.DATA_RATE_BYTES_PER_SECOND,
      dataBurstBytes: e.DATA_BURST_BYTES,
      dataAbuseDrops: e.DATA_ABUSE_DROPS,
      maxMediaConnections: e.MAX_MEDIA_CONNECTIONS,
      iceMaxLearnedCandidates: e.ICE_MAX_LEARNED_CANDIDATES,
    },
    // ---- admission, slow consumers, HTTP hardening (issue 12) ----
    admission: {
      allowedOrigins: [...(e.PUBLIC_URL ? [new URL(e.PUBLIC_URL).origin] : []), ...(e.ALLOWED_ORIGINS ?? []).map((o) => new URL(o).origin)],
      maxSockets: e.WS_MAX_SOCKETS,
      maxSocketsPerIp: e.WS_MAX_SOCKETS_PER_IP,
      newSocketsPerIpPerSecond: e.WS_NEW_SOCKETS_PER_IP_PER_SECOND,
      newSocketsPerIpBurst: e.WS_NEW_SOCKETS_PER_IP_BURST,
      trustProxyHops: e.TRUST_PROXY_HOPS,
    },
    wsMaxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
    httpHeadersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    metricsPort: e.METRICS_PORT,
  };
}
