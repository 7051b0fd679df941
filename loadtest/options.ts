// Command-line options of the load generator: read with node:util parseArgs, validated
// with zod into one typed object, with errors that name the flag.
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const SCENARIOS = ['join-storm', 'fanout', 'churn', 'reconnect'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** Scenarios whose bots stay in their rooms, so they can hold peer connections (--media). */
export const MEDIA_SCENARIOS: readonly Scenario[] = ['join-storm', 'fanout'];

/** Media mode (--media): werift peers that publish synthetic RTP and count what arrives. */
export interface MediaOptions {
  /** Publishers per room: the first N clients of each room; the others subscribe. */
  publishersPerRoom: number;
  /** Video RTP packets per second per publisher (audio is fixed at 50). */
  videoPacketsPerSecond: number;
  /** The local IPv4 address the peers bind and offer as their only candidate. */
  ip: string;
}

export interface LoadOptions {
  url: string;
  scenario: Scenario;
  clients: number;
  rooms: number;
  /** Arrivals (joins) per second. */
  rate: number;
  /** Requests per second per joined client: mute toggles (fanout) or pings (other scenarios). */
  messageRate: number;
  /** Hard bound on the whole run, in seconds. */
  duration: number;
  /** Seconds between reconnect storms (reconnect scenario). */
  stormInterval: number;
  /** Per-operation timeout (connect, join, leave), ms. */
  timeoutMs: number;
  jwtSecret: string | undefined;
  /** Speak the bare broadcast protocol of bench/bareServer.ts instead of ours. */
  bare: boolean;
  allowRemote: boolean;
  json: boolean;
  quiet: boolean;
  /** Prefix of room names and identities, so concurrent runs do not meet. */
  roomPrefix: string;
  /** Media mode, or undefined for signaling only. */
  media: MediaOptions | undefined;
}

export const HELP = `rtc-loadtest: signaling load generator for the rtc-sfu server

Usage: rtc-loadtest --url ws://127.0.0.1:8080/ws [options]
       npm run loadtest -- --url ws://127.0.0.1:8080/ws [options]

  --url URL              WebSocket URL of the server (required); loopback only unless --allow-remote
  --scenario NAME        join-storm | fanout | churn | reconnect       (default join-storm)
  --clients N            simulated participants                         (default 100)
  --rooms N              rooms the clients are spread over, round-robin (default clients/16, rounded up)
  --rate N               arrivals (joins) per second                    (default 100)
  --ramp-up S            join everyone over S seconds (sets --rate to clients/S; not with --rate)
  --message-rate N       requests per second per joined client: mute toggles in fanout
                         (default 1), pings in the other scenarios (default 0)
  --duration S           the whole run stops after S seconds            (default 30)
  --storm-interval S     reconnect: seconds between storms              (default 10)
  --timeout MS           connect/join/leave timeout                     (default 10000)
  --jwt-secret SECRET    mint HS256 tokens locally (else POST /api/token on the same host)
  --bare                 speak the bare broadcast protocol of bench/bareServer.ts (baseline)
  --allow-remote         allow a target that is not 127.0.0.0/8, ::1 or localhost
  --room-prefix P        prefix of room names and identities           (default lt-<random>)
  --media                add media: werift peers publish synthetic audio + video RTP and the
                         others in the room subscribe and count packets, loss and freezes
                         (join-storm and fanout only)
  --publishers N         --media: publishers per room, its first N clients (default 1)
  --video-pps N          --media: video packets per second per publisher  (default 100)
  --media-ip ADDR        --media: local IPv4 address the peers bind and offer (default 127.0.0.1;
                         another than 127.0.0.0/8 needs --allow-remote)
  --json                 print the report as JSON on stdout (progress stays on stderr)
  --quiet                no progress line
  -h, --help             this text
`;

/** True for hosts that stay on this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255);
}

const positiveInt = (flag: string, max: number) =>
  z.coerce.number({ error: `${flag} must be a number` }).int(`${flag} must be a whole number`).min(1, `${flag} must be at least 1`).max(max, `${flag} must be at most ${max}`);
const positive = (flag: string, max: number) =>
  z.coerce.number({ error: `${flag} must be a number` }).positive(`${flag} must be greater than 0`).max(max, `${flag} must be at most ${max}`);

const schema = z
  .object({
    url: z
      .string({ error: '--url is required (e.g. --url ws://127.0.0.1:8080/ws)' })
      .refine((v) => URL.canParse(v), '--url is not a URL')
      .refine((v) => !URL.canParse(v) || ['ws:', 'wss:'].includes(new URL(v).protocol), '--url must start with ws:// or wss://'),
    scenario: z.enum(SCENARIOS, { error: `--scenario must be one of ${SCENARIOS.join(', ')}` }).default('join-storm'),
    clients: positiveInt('--clients', 100_000).default(100),
    rooms: positiveInt('--rooms', 100_000).optional(),
    rate: positive('--rate', 100_000).optional(),
    'ramp-up': positive('--ramp-up', 3600).optional(),
    'message-rate': z.coerce.number({ error: '--message-rate must be a number' }).min(0, '--message-rate must be 0 or more').max(1000, '--message-rate must be at most 1000').optional(),
    duration: positive('--duration', 24 * 3600).default(30),
    'storm-interval': positive('--storm-interval', 3600).default(10),
    timeout: positiveInt('--timeout', 600_000).default(10_000),
    'jwt-secret': z.string().min(1, '--jwt-secret must not be empty').optional(),
    bare: z.boolean().default(false),
    'allow-remote': z.boolean().default(false),
    'room-prefix': z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,24}$/, '--room-prefix may contain 1-24 letters, digits, "-", "_" and "."')
      .optional(),
    json: z.boolean().default(false),
    quiet: z.boolean().default(false),
    media: z.boolean().default(false),
    publishers: positiveInt('--publishers', 100).optional(),
    'video-pps': positiveInt('--video-pps', 2000).optional(),
    'media-ip': z.ipv4({ error: '--media-ip must be an IPv4 address' }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.rate !== undefined && o['ramp-up'] !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ramp-up'], message: 'give either --rate or --ramp-up, not both' });
    }
    if (o.rooms !== undefined && o.rooms > o.clients) {
      ctx.addIssue({ code: 'custom', path: ['rooms'], message: `--rooms (${o.rooms}) must not exceed --clients (${o.clients})` });
    }
    if (!o.media) {
      for (const flag of ['publishers', 'video-pps', 'media-ip'] as const) {
        if (o[flag] !== undefined) ctx.addIssue({ code: 'custom', path: [flag], message: `--${flag} needs --media` });
      }
    } else {
      if (o.bare) ctx.addIssue({ code: 'custom', path: ['media'], message: '--media needs our protocol, not --bare' });
      if (!MEDIA_SCENARIOS.includes(o.scenario)) {
        ctx.addIssue({ code: 'custom', path: ['media'], message: `--media works with --scenario ${MEDIA_SCENARIOS.join(' or ')}, whose clients stay in their rooms` });
      }
      if (o['media-ip'] !== undefined && !o['allow-remote'] && !isLoopbackHost(o['media-ip'])) {
        ctx.addIssue({ code: 'custom', path: ['media-ip'], message: `refusing --media-ip ${o['media-ip']}: only 127.0.0.0/8 is allowed without --allow-remote` });
      }
    }
    if (URL.canParse(o.url) && !o['allow-remote'] && !isLoopbackHost(new URL(o.url).hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `refusing non-loopback target ${new URL(o.url).hostname}: only 127.0.0.0/8, ::1 and localhost are allowed without --allow-remote`,
      });
    }
  });

export type ParsedArgs = { ok: true; options: LoadOptions } | { ok: false; help: true } | { ok: false; help: false; error: string };

/** Reads argv (without node and script) into options, or a message that says what is wrong. */
export function parseLoadArgs(argv: readonly string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        scenario: { type: 'string' },
        clients: { type: 'string' },
        rooms: { type: 'string' },
        rate: { type: 'string' },
        'ramp-up': { type: 'string' },
        'message-rate': { type: 'string' },
        duration: { type: 'string' },
        'storm-interval': { type: 'string' },
        timeout: { type: 'string' },
        'jwt-secret': { type: 'string' },
        bare: { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        'room-prefix': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        media: { type: 'boolean' },
        publishers: { type: 'string' },
        'video-pps': { type: 'string' },
        'media-ip': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return { ok: false, help: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { ok: false, help: true };
  const { help: _help, ...rest } = values;
  // Blank strings count as unset, so `--rooms ""` gets the default instead of 0.
  const cleaned = Object.fromEntries(Object.entries(rest).filter(([, v]) => !(typeof v === 'string' && v.trim() === '')));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    return { ok: false, help: false, error: parsed.error.issues.map((i) => i.message).join('\n') };
  }
  const o = parsed.data;
  const rate = o.rate ?? (o['ramp-up'] !== undefined ? o.clients / o['ramp-up'] : 100);
  return {
    ok: true,
    options: {
      url: o.url,
      scenario: o.scenario,
      clients: o.clients,
      rooms: o.rooms ?? Math.ceil(o.clients / 16),
      rate,
      messageRate: o['message-rate'] ?? (o.scenario === 'fanout' ? 1 : 0),
      duration: o.duration,
      stormInterval: o['storm-interval'],
      timeoutMs: o.timeout,
      jwtSecret: o['jwt-secret'],
      bare: o.bare,
      allowRemote: o['allow-remote'],
      json: o.json,
      quiet: o.quiet,
      roomPrefix: o['room-prefix'] ?? `lt-${Math.random().toString(36).slice(2, 8)}`,
      media: o.media ? { publishersPerRoom: o.publishers ?? 1, videoPacketsPerSecond: o['video-pps'] ?? 100, ip: o['media-ip'] ?? '127.0.0.1' } : undefined,
    },
  };
}

/** The server's default room capacity (MAX_PARTICIPANTS_PER_ROOM): joins beyond it are refused with close 4005. */
export const ROOM_CAPACITY = 16;

/** Joins refused when `clients` are dealt round-robin over `rooms` rooms of ROOM_CAPACITY. */
export function expectedRefusals(clients: number, rooms: number): number {
  let refused = 0;
  for (let r = 0; r < rooms; r++) {
    const size = Math.floor(clients / rooms) + (r < clients % rooms ? 1 : 0);
    refused += Math.max(0, size - ROOM_CAPACITY);
  }
  return refused;
}

/** Warnings about options that are valid but probably not what was meant. */
export function optionWarnings(o: LoadOptions): string[] {
  const warnings: string[] = [];
  const roomSize = Math.ceil(o.clients / o.rooms);
  if (!o.bare && roomSize > ROOM_CAPACITY) {
    warnings.push(
      `rooms of up to ${roomSize} clients (--clients ${o.clients} over --rooms ${o.rooms}), but a room holds at most ${ROOM_CAPACITY} ` +
        `(the server's MAX_PARTICIPANTS_PER_ROOM default): expect ${expectedRefusals(o.clients, o.rooms)} joins refused (close:4005, room full) ` +
        `unless the server allows more; --rooms ${Math.ceil(o.clients / ROOM_CAPACITY)} fits everyone`,
    );
  }
  if (!o.bare && o.messageRate > 45) {
    warnings.push(`--message-rate ${o.messageRate} per client is near or above the server's limit of 50 requests/s per socket: expect RATE_LIMITED`);
  }
  if (o.media) {
    const smallest = Math.floor(o.clients / o.rooms);
    if (smallest <= o.media.publishersPerRoom) {
      warnings.push(`rooms of ${smallest} clients with ${o.media.publishersPerRoom} publisher(s) each: some rooms have no subscriber; add --clients or lower --publishers`);
    }
  }
  return warnings;
}
