// Start-up configuration: sensible defaults for a laptop, refusals that name the
// variable, and production settings that cannot be left open by accident.
import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

const SECRET = 'config-test-secret-that-is-at-least-32-chars';

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  it('runs a development server on 8080 with generated secret and dev tokens on', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 8080,
      host: '0.0.0.0',
      jwtSecretGenerated: true,
      devTokens: true,
      tokenTtlSeconds: 6 * 3600,
      tls: undefined,
      rtc: { portRange: undefined, listenIp: undefined, announcedIp: undefined, iceTcp: true },
      turn: undefined,
      heartbeatMs: 10_000,
      joinTimeoutMs: 10_000,
      maxParticipantsPerRoom: 16,
      logLevel: 'info',
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('generates a different secret for every start when none is given', () => {
    expect(loadConfig({}).jwtSecret).not.toBe(loadConfig({}).jwtSecret);
  });

  it('uses the given secret and says it was not generated', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config.jwtSecret).toBe(SECRET);
    expect(config.jwtSecretGenerated).toBe(false);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
  });

  it('treats a blank variable as unset instead of reading PORT= as port 0', () => {
    expect(loadConfig({ PORT: '', HEARTBEAT_INTERVAL_MS: ' ' })).toMatchObject({ port: 8080, heartbeatMs: 10_000 });
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: '' })).toContain('JWT_SECRET: is required');
  });

  it('reads numbers from their text form', () => {
    const config = loadConfig({ PORT: '9000', HEARTBEAT_INTERVAL_MS: '200', JOIN_TIMEOUT_MS: '300' });
    expect([config.port, config.heartbeatMs, config.joinTimeoutMs]).toEqual([9000, 200, 300]);
  });
});

describe('loadConfig: bad values name the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['HEARTBEAT_INTERVAL_MS', '10'],
    ['JOIN_TIMEOUT_MS', 'soon'],
    ['LOG_LEVEL', 'verbose'],
    ['NODE_ENV', 'staging'],
    ['DEV_TOKENS', 'maybe'],
    ['RTC_LISTEN_IP', 'localhost'],
    ['MAX_PARTICIPANTS_PER_ROOM', '0'],
  ])('refuses %s=%s', (name, value) => {
    expect(configError({ [name]: value })).toContain(`${name}:`);
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(configError({ JWT_SECRET: 'short' })).toContain('JWT_SECRET: must be at least 32 characters');
  });
});

describe('loadConfig: production', () => {
  it('refuses to start without JWT_SECRET', () => {
    expect(configError({ NODE_ENV: 'production' })).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('keeps the development token endpoint off unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).devTokens).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DEV_TOKENS: 'true' }).devTokens).toBe(true);
  });

  it('lets development turn the token endpoint off', () => {
    expect(loadConfig({ DEV_TOKENS: 'false' }).devTokens).toBe(false);
    expect(loadConfig({ DEV_TOKENS: '0' }).devTokens).toBe(false);
  });
});

describe('loadConfig: RTC port range', () => {
  it('uses a range given as a pair', () => {
    expect(loadConfig({ RTC_MIN_PORT: '40000', RTC_MAX_PORT: '40100' }).rtc.portRange).toEqual([40000, 40100]);
  });

  it('refuses half a range', () => {
    expect(configError({ RTC_MIN_PORT: '40000' })).toContain('RTC_MIN_PORT and RTC_MAX_PORT must be set together');
    expect(configError({ RTC_MAX_PORT: '40100' })).toContain('RTC_MIN_PORT and RTC_MAX_PORT must be set together');
  });

  it('refuses a range that is empty or backwards', () => {
    expect(configError({ RTC_MIN_PORT: '40000', RTC_MAX_PORT: '40000' })).toContain('RTC_MAX_PORT: must be greater than RTC_MIN_PORT');
    expect(configError({ RTC_MIN_PORT: '40100', RTC_MAX_PORT: '40000' })).toContain('RTC_MAX_PORT: must be greater than RTC_MIN_PORT');
  });

  it('refuses privileged ports', () => {
    expect(configError({ RTC_MIN_PORT: '80', RTC_MAX_PORT: '40000' })).toContain('RTC_MIN_PORT:');
  });
});

describe('loadConfig: TLS', () => {
  it('refuses a certificate without its key', () => {
    expect(configError({ TLS_CERT: '/etc/cert.pem' })).toContain('TLS_CERT and TLS_KEY must be set together');
  });

  it('prefers given files over a self-signed certificate', () => {
    expect(loadConfig({ TLS_CERT: 'c.pem', TLS_KEY: 'k.pem', TLS_SELF_SIGNED: 'true' }).tls).toEqual({ cert: 'c.pem', key: 'k.pem' });
    expect(loadConfig({ TLS_SELF_SIGNED: 'yes' }).tls).toEqual({ selfSigned: true });
  });
});

describe('loadConfig: TCP media', () => {
  it('offers ICE-TCP candidates unless RTC_ICE_TCP=false', () => {
    expect(loadConfig({}).rtc.iceTcp).toBe(true);
    expect(loadConfig({ RTC_ICE_TCP: 'false' }).rtc.iceTcp).toBe(false);
  });

  it('reads TURN servers as a comma-separated list with a shared secret and a TTL', () => {
    const config = loadConfig({ TURN_SECRET: 'a-turn-secret-of-some-length', TURN_URLS: 'turn:127.0.0.1:3478?transport=tcp, turns:turn.example.org:443?transport=tcp' });
    expect(config.turn).toEqual({
      secret: 'a-turn-secret-of-some-length',
      urls: ['turn:127.0.0.1:3478?transport=tcp', 'turns:turn.example.org:443?transport=tcp'],
      ttlSeconds: 3600,
    });
    expect(loadConfig({ TURN_SECRET: 'a-turn-secret-of-some-length', TURN_URLS: 'turn:h:3478', TURN_TTL_SECONDS: '600' }).turn?.ttlSeconds).toBe(600);
  });

  it('refuses a TURN secret without URLs, URLs without a secret, and URLs that are not TURN or STUN', () => {
    expect(configError({ TURN_SECRET: 'a-turn-secret-of-some-length' })).toContain('TURN_SECRET and TURN_URLS must be set together');
    expect(configError({ TURN_URLS: 'turn:h:3478' })).toContain('TURN_SECRET and TURN_URLS must be set together');
    expect(configError({ TURN_SECRET: 'a-turn-secret-of-some-length', TURN_URLS: 'http://h:3478' })).toContain('TURN_URLS');
  });
});

describe('loadConfig: admission, slow consumers, HTTP limits', () => {
  it('has bounded defaults', () => {
    const config = loadConfig({});
    expect(config.admission).toEqual({ allowedOrigins: [], maxSockets: 20_000, maxSocketsPerIp: 200, newSocketsPerIpPerSecond: 20, newSocketsPerIpBurst: 100, trustProxyHops: 0 });
    expect(config).toMatchObject({ wsMaxBufferedBytes: 1024 * 1024, httpHeadersTimeoutMs: 10_000, httpRequestTimeoutMs: 30_000, metricsPort: undefined });
  });

  it('reads ALLOWED_ORIGINS as normalised origins, with PUBLIC_URL\'s origin first', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: 'https://App.Example.org, http://localhost:3000/', PUBLIC_URL: 'https://rtc.example.net/base' });
    expect(config.admission.allowedOrigins).toEqual(['https://rtc.example.net', 'https://app.example.org', 'http://localhost:3000']);
  });

  it.each([
    [{ ALLOWED_ORIGINS: 'https://app.example.org/path' }, /ALLOWED_ORIGINS/],
    [{ ALLOWED_ORIGINS: 'app.example.org' }, /ALLOWED_ORIGINS/],
    [{ WS_MAX_SOCKETS_PER_IP: '0' }, /WS_MAX_SOCKETS_PER_IP/],
    [{ TRUST_PROXY_HOPS: '-1' }, /TRUST_PROXY_HOPS/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '40000' }, /HTTP_HEADERS_TIMEOUT_MS: must not be above HTTP_REQUEST_TIMEOUT_MS/],
    [{ PORT: '9000', METRICS_PORT: '9000' }, /METRICS_PORT: must differ from PORT/],
  ])('refuses %j', (env, message) => {
    expect(configError(env)).toMatch(message);
  });
});

describe('loadConfig: token policy', () => {
  it('checks no audience or issuer by default and limits token lifetime to a day', () => {
    expect(loadConfig({}).tokenPolicy).toEqual({ audience: undefined, issuer: undefined, maxLifetimeSeconds: 86_400 });
  });

  it('reads JWT_AUDIENCE, JWT_ISSUER and JWT_MAX_LIFETIME_SECONDS', () => {
    expect(loadConfig({ JWT_AUDIENCE: 'rtc', JWT_ISSUER: 'https://app.example', JWT_MAX_LIFETIME_SECONDS: '3600', TOKEN_TTL_SECONDS: '600' }).tokenPolicy).toEqual({
      audience: 'rtc',
      issuer: 'https://app.example',
      maxLifetimeSeconds: 3600,
    });
  });

  it('refuses a development token lifetime above the maximum the server accepts', () => {
    expect(configError({ JWT_MAX_LIFETIME_SECONDS: '3600' })).toContain('TOKEN_TTL_SECONDS: must not exceed JWT_MAX_LIFETIME_SECONDS');
    expect(configError({ JWT_MAX_LIFETIME_SECONDS: '10' })).toContain('JWT_MAX_LIFETIME_SECONDS:');
  });
});
