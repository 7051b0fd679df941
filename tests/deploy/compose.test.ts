// The compose stack, checked without a container engine: docker-compose (Debian's 1.29,
// whose `config` needs no engine) validates the file against the compose specification and
// resolves it; the tests then read the resolved file for what the stack promises: two
// nodes sharing Redis behind a non-sticky load balancer, each announcing the host address
// with its own published UDP range, TURN, and monitoring wired to the repository's files.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { unknownSettings } from './support/settings.js';
import { requireCommand, run, runOk } from './support/tools.js';

const COMPOSE_FILE = 'deploy/compose/docker-compose.yml';
const HOST_IP = '192.0.2.10';
/** The stack has no default secrets: an operator sets both (random ones here). */
const SECRETS = { JWT_SECRET: randomBytes(32).toString('base64'), TURN_SECRET: randomBytes(32).toString('base64') };
const SFU_NODES = ['sfu-1', 'sfu-2'];
/** The server's default heartbeat (README.md, HEARTBEAT_INTERVAL_MS). */
const HEARTBEAT_MS = 10_000;

interface Port {
  published: number | string;
  target: number;
  protocol?: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: (Port | string)[];
  volumes?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

let composeBin: string;
let services: Record<string, Service>;

function resolvedConfig(env: Record<string, string>): { services: Record<string, Service> } {
  return parse(runOk(composeBin, ['-f', COMPOSE_FILE, 'config'], { env })) as { services: Record<string, Service> };
}

function udpPorts(service: Service): { published: number; target: number }[] {
  return (service.ports ?? [])
    .filter((p): p is Port => typeof p === 'object' && p.protocol === 'udp')
    .map((p) => ({ published: Number(p.published), target: p.target }));
}

/** "host:container[:mode]" volume strings from the resolved file: container path by host path. */
function mounts(service: Service): Map<string, string> {
  return new Map((service.volumes ?? []).map((v) => v.split(':') as [string, string]).map(([host, container]) => [container, host]));
}

function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
  if (!m) throw new Error(`cannot read duration ${duration}`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as const)[m[2] as 'ms' | 's' | 'm'];
}

beforeAll(() => {
  composeBin = requireCommand('docker-compose', 'apt-get install docker-compose');
  services = resolvedConfig({ HOST_IP, ...SECRETS }).services;
});

describe('the compose file', () => {
  it('is valid against the compose specification (docker-compose config -q), with and without HOST_IP', () => {
    for (const env of [SECRETS, { HOST_IP, ...SECRETS }] as Record<string, string>[]) {
      const ran = run(composeBin, ['-f', COMPOSE_FILE, 'config', '-q'], { env });
      expect(ran.status, ran.stderr).toBe(0);
      expect(ran.stderr, 'no warnings (e.g. an unset variable)').toBe('');
    }
  });

  it('has no default secrets: without JWT_SECRET or TURN_SECRET it does not resolve, and says which is missing', () => {
    const noJwt = run(composeBin, ['-f', COMPOSE_FILE, 'config', '-q'], { env: { JWT_SECRET: '', TURN_SECRET: SECRETS.TURN_SECRET } });
    expect(noJwt.status).not.toBe(0);
    expect(noJwt.stderr).toContain('set JWT_SECRET');
    const noTurn = run(composeBin, ['-f', COMPOSE_FILE, 'config', '-q'], { env: { JWT_SECRET: SECRETS.JWT_SECRET, TURN_SECRET: '' } });
    expect(noTurn.status).not.toBe(0);
    expect(noTurn.stderr).toContain('set TURN_SECRET');
    expect(readFileSync(COMPOSE_FILE, 'utf8')).not.toMatch(/NOT-FOR-PRODUCTION/);
  });

  it('has Redis, two SFU nodes, the load balancer, coturn, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['coturn', 'grafana', 'lb', 'prometheus', 'redis', ...SFU_NODES].sort());
  });
});

describe('the SFU nodes', () => {
  it('build the repository Dockerfile and share Redis, the JWT secret and the TURN secret', () => {
    const repoRoot = path.resolve('.');
    for (const name of SFU_NODES) {
      const node = services[name]!;
      expect(node.build, name).toEqual({ context: repoRoot, dockerfile: 'Dockerfile' });
      expect(node.environment?.REDIS_URL, name).toBe('redis://redis:6379');
      expect(node.depends_on?.redis?.condition, name).toBe('service_healthy');
      expect(node.environment?.NODE_ENV, name).toBe('production');
    }
    const [a, b] = SFU_NODES.map((n) => services[n]!.environment!);
    expect(a!.JWT_SECRET).toBe(b!.JWT_SECRET);
    expect(a!.JWT_SECRET).toBe(SECRETS.JWT_SECRET);
    expect(a!.TURN_SECRET).toBe(b!.TURN_SECRET);
    expect(a!.NODE_ID).not.toBe(b!.NODE_ID);
  });

  it('keep the development token endpoint off unless DEV_TOKENS=true is asked for', () => {
    for (const name of SFU_NODES) expect(services[name]!.environment?.DEV_TOKENS, name).toBe('false');
    expect(resolvedConfig({ ...SECRETS, DEV_TOKENS: 'true' }).services['sfu-1']!.environment?.DEV_TOKENS).toBe('true');
  });

  it('each announce the host address and publish their own UDP range 1:1', () => {
    const ranges: [number, number][] = [];
    for (const name of SFU_NODES) {
      const env = services[name]!.environment!;
      expect(env.RTC_ANNOUNCED_IP, name).toBe(HOST_IP);
      const min = Number(env.RTC_MIN_PORT);
      const max = Number(env.RTC_MAX_PORT);
      expect(max, name).toBeGreaterThan(min);
      const published = udpPorts(services[name]!);
      // Published port = container port, every port of the range and nothing else: the
      // port a browser is told is the port the node listens on.
      expect(published, name).toEqual(Array.from({ length: max - min + 1 }, (_, i) => ({ published: min + i, target: min + i })));
      ranges.push([min, max]);
    }
    const [[aMin, aMax], [bMin, bMax]] = ranges as [[number, number], [number, number]];
    expect(aMax < bMin || bMax < aMin, `ranges ${aMin}-${aMax} and ${bMin}-${bMax} overlap`).toBe(true);
  });

  it('get longer to stop than their drain deadline (SHUTDOWN_DRAIN_MS + 5 s, when the server forces its exit)', () => {
    for (const name of SFU_NODES) {
      const node = services[name]!;
      expect(seconds(node.stop_grace_period!) * 1000, name).toBeGreaterThan(Number(node.environment!.SHUTDOWN_DRAIN_MS) + 5_000);
    }
  });

  it('set only variables the server reads (or that deploy/README.md lists as coming)', () => {
    expect(unknownSettings(SFU_NODES.flatMap((n) => Object.keys(services[n]!.environment ?? {})))).toEqual([]);
  });
});

describe('the load balancer', () => {
  const conf = (): string => readFileSync(mounts(services.lb!).get('/etc/nginx/conf.d/default.conf')!, 'utf8');

  it('mounts deploy/compose/nginx.conf and waits for healthy nodes', () => {
    expect(mounts(services.lb!).get('/etc/nginx/conf.d/default.conf')).toBe(path.resolve('deploy/compose/nginx.conf'));
    for (const name of SFU_NODES) expect(services.lb!.depends_on?.[name]?.condition).toBe('service_healthy');
  });

  it('spreads over both nodes round-robin, with no stickiness', () => {
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf());
    expect(upstream).not.toBeNull();
    const servers = [...upstream![2]!.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(servers.sort()).toEqual(SFU_NODES.map((n) => `${n}:${services[n]!.environment?.PORT ?? '8080'}`).sort());
    expect(upstream![2]).not.toMatch(/\b(ip_hash|hash|sticky|least_conn|random)\b/);
    expect(conf()).toContain(`proxy_pass http://${upstream![1]};`);
  });

  it('is a configuration nginx accepts (nginx -t, with the node names pointed at loopback)', () => {
    const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : requireCommand('nginx', 'apt-get install nginx-light');
    const dir = mkdtempSync(path.join(tmpdir(), 'rtc-sfu-nginx-'));
    try {
      // The node names resolve only inside the compose network.
      let port = 18_080;
      writeFileSync(path.join(dir, 'default.conf'), conf().replace(/\bsfu-\d+:8080\b/g, () => `127.0.0.1:${port++}`));
      writeFileSync(
        path.join(dir, 'nginx.conf'),
        `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/default.conf;\n}\n`,
      );
      const ran = run(nginx, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
      expect(ran.status, ran.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("forwards the browser's Host with its port, and the client address the nodes trust", () => {
    const text = conf();
    // $host drops the port, and the server's origin check compares the page's origin with it.
    expect(text).toMatch(/proxy_set_header\s+Host\s+\$http_host;/);
    expect(text).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
    for (const name of SFU_NODES) expect(services[name]!.environment?.TRUST_PROXY_HOPS).toBe('1');
  });

  it('passes WebSocket upgrades and outlasts the heartbeat on idle sockets', () => {
    const text = conf();
    expect(text).toMatch(/proxy_http_version\s+1\.1;/);
    expect(text).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    expect(text).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    const readTimeout = /proxy_read_timeout\s+(\d+)s;/.exec(text);
    expect(readTimeout).not.toBeNull();
    expect(Number(readTimeout![1]) * 1000).toBeGreaterThan(2 * HEARTBEAT_MS);
  });
});

describe('TURN and monitoring', () => {
  it('coturn uses the nodes’ TURN secret for REST credentials and listens on TCP 3478', () => {
    const coturn = services.coturn!;
    const env = services['sfu-1']!.environment!;
    expect(coturn.image).toMatch(/^coturn\/coturn:/);
    expect(coturn.command).toContain('--use-auth-secret');
    expect(coturn.command).toContain(`--static-auth-secret=${env.TURN_SECRET}`);
    expect(coturn.command).toContain('--listening-port=3478');
    expect(coturn.ports).toContainEqual(expect.objectContaining({ published: 3478, target: 3478, protocol: 'tcp' }));
    for (const url of env.TURN_URLS!.split(',')) expect(url).toMatch(new RegExp(`^turn:${HOST_IP.replace(/\./g, '\\.')}:3478\\?transport=(udp|tcp)$`));
  });

  it('Prometheus scrapes every node with a configuration promtool accepts', () => {
    const file = mounts(services.prometheus!).get('/etc/prometheus/prometheus.yml')!;
    expect(file).toBe(path.resolve('deploy/compose/prometheus.yml'));
    const promtool = requireCommand('promtool', 'apt-get install prometheus');
    runOk(promtool, ['check', 'config', file]);
    const config = parse(readFileSync(file, 'utf8')) as { scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(SFU_NODES.map((n) => `${n}:8080`).sort());
    expect(config.scrape_configs[0]!.metrics_path).toBe('/metrics');
  });

  it('Grafana gets the repository’s provisioning and dashboards where the provider looks, and Prometheus where the datasource looks', () => {
    const grafana = mounts(services.grafana!);
    expect(grafana.get('/etc/grafana/provisioning')).toBe(path.resolve('deploy/grafana/provisioning'));
    const dashboards = grafana.get('/var/lib/grafana/dashboards')!;
    expect(dashboards).toBe(path.resolve('deploy/grafana/dashboards'));
    expect(existsSync(path.join(dashboards, 'rtc-sfu.json'))).toBe(true);
    const provider = parse(readFileSync('deploy/grafana/provisioning/dashboards/rtc-sfu.yml', 'utf8')) as { providers: { options: { path: string } }[] };
    expect(provider.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
    const datasource = parse(readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8')) as { datasources: { url: string }[] };
    const url = new URL(datasource.datasources[0]!.url);
    expect(Object.keys(services)).toContain(url.hostname);
    expect(url.port).toBe('9090');
  });
});
