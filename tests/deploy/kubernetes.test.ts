// The Kubernetes manifests, checked without a cluster: both kustomizations build with the
// kubectl on PATH and with kubectl 1.20 (kustomize v2.0.3) alike, every object is valid
// against the Kubernetes schemas, and the things an operator relies on are there: probes,
// a drain that fits the grace period, one pod per node, placeholders-only Secrets.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { all, BASE, comparable, find, OPTIONAL, OVERLAY, parseObjects, render, schemaErrors, SCHEMA_KUBERNETES_VERSION, selects, type K8sObject } from './support/kubernetes.js';
import { unknownSettings, UPCOMING_SETTINGS } from './support/settings.js';
import { kubectls, type Kubectl } from './support/tools.js';

/** How long after SHUTDOWN_DRAIN_MS the server forces its own exit (server/main.ts). */
const SERVER_EXIT_MARGIN_MS = 5_000;
/** The values a Secret in this repository may hold. */
const PLACEHOLDERS = new Set(['change-me']);

/** Fields kustomize v2.0.3 (kubectl 1.14 to 1.20) reads in a kustomization.yaml. */
const KUSTOMIZE_V2_0_3_FIELDS = new Set([
  'apiVersion',
  'kind',
  'bases',
  'resources',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'commonAnnotations',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'images',
  'vars',
  'crds',
]);

let current: Kubectl;
let legacy: Kubectl;
const rendered: Record<string, { current: K8sObject[]; legacy: K8sObject[] }> = {};

beforeAll(() => {
  ({ current, legacy } = kubectls());
  for (const dir of [BASE, OVERLAY]) rendered[dir] = { current: render(current, dir), legacy: render(legacy, dir) };
});

const overlay = (): K8sObject[] => rendered[OVERLAY]!.current;
const sfuDeployment = (): K8sObject => find(overlay(), 'Deployment', 'rtc-sfu');
const sfuContainer = (): Record<string, any> => sfuDeployment().spec.template.spec.containers.find((c: { name: string }) => c.name === 'rtc-sfu');
const podLabels = (): Record<string, string> => sfuDeployment().spec.template.metadata.labels;
const configMapData = (): Record<string, string> => {
  const name: string = sfuContainer().envFrom.find((e: { configMapRef?: unknown }) => e.configMapRef).configMapRef.name;
  return find(overlay(), 'ConfigMap', name).data;
};

describe('rendering', () => {
  it.each([BASE, OVERLAY])('%s builds the same objects with kubectl on PATH and with kubectl 1.20 (kustomize v2.0.3)', (dir) => {
    const { current: a, legacy: b } = rendered[dir]!;
    expect(a.length).toBeGreaterThan(5);
    expect(comparable(a), `${current.path} (${current.version}, kustomize ${current.kustomize}) vs ${legacy.path} (${legacy.version})`).toEqual(comparable(b));
  });

  it('kustomization files use only fields kustomize v2.0.3 knows, and folders only under `bases:`', () => {
    for (const dir of [BASE, OVERLAY]) {
      const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(kustomization).filter((k) => !KUSTOMIZE_V2_0_3_FIELDS.has(k)), dir).toEqual([]);
      for (const resource of (kustomization.resources as string[] | undefined) ?? []) {
        expect(resource, `${dir}: v2.0.3 reads only files from resources:`).toMatch(/\.ya?ml$/);
      }
    }
  });

  it(`every object is valid against the Kubernetes ${SCHEMA_KUBERNETES_VERSION} schemas`, () => {
    const errors: string[] = [];
    for (const [dir, { current: a, legacy: b }] of Object.entries(rendered)) {
      for (const object of [...a, ...b]) {
        const error = schemaErrors(object);
        if (error) errors.push(`${dir}: ${error}`);
      }
    }
    expect(errors).toEqual([]);
  });

  it('the overlay holds the SFU, its Service, PDB, HPA, Redis and the NetworkPolicy in front of Redis', () => {
    const kinds = overlay().map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/rtc-sfu',
        'Service/rtc-sfu',
        'PodDisruptionBudget/rtc-sfu',
        'HorizontalPodAutoscaler/rtc-sfu',
        'ConfigMap/rtc-sfu-config',
        'Secret/rtc-sfu-secrets',
        'StatefulSet/redis',
        'Service/redis',
        'NetworkPolicy/redis',
      ]),
    );
    for (const object of overlay()) if (object.kind !== 'Namespace') expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('rtc-sfu-example');
  });
});

describe('the SFU Deployment', () => {
  it('is ready on /readyz and alive on /healthz, on the port the server listens on', () => {
    const container = sfuContainer();
    const port = container.ports.find((p: { name: string }) => p.name === 'http');
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(String(port.containerPort)).toBe(configMapData().PORT);
  });

  it('gives the drain time to finish: terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_DRAIN_MS + 5 s', () => {
    const spec = sfuDeployment().spec.template.spec;
    const preStop: string[] = sfuContainer().lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    const preStopMs = Number(preStop[1]) * 1000;
    const drainMs = Number(configMapData().SHUTDOWN_DRAIN_MS);
    expect(drainMs).toBeGreaterThan(0);
    // The server gives up on its drain at SHUTDOWN_DRAIN_MS + 5 s (server/main.ts): SIGKILL must come later.
    expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + drainMs + SERVER_EXIT_MARGIN_MS);
  });

  it('runs one pod per node on the host network, announcing the node address', () => {
    const spec = sfuDeployment().spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    const required = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    expect(required).toHaveLength(1);
    expect(required[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(required[0].labelSelector.matchLabels, podLabels())).toBe(true);
    const env = Object.fromEntries(sfuContainer().env.map((e: { name: string }) => [e.name, e]));
    expect(env.RTC_ANNOUNCED_IP.valueFrom.fieldRef.fieldPath).toBe('status.hostIP');
    expect(env.RTC_LISTEN_IP.valueFrom.fieldRef.fieldPath).toBe('status.hostIP');
    expect(sfuDeployment().spec.strategy.rollingUpdate.maxSurge).toBe(0);
  });

  it('has CPU and memory requests and limits, and runs as a non-root user', () => {
    const container = sfuContainer();
    for (const kind of ['requests', 'limits']) for (const resource of ['cpu', 'memory']) expect(container.resources[kind][resource], `${kind}.${resource}`).toBeDefined();
    expect(sfuDeployment().spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
  });

  it('reads its configuration and secrets from objects the overlay renders, under their generated names', () => {
    const container = sfuContainer();
    const secrets = all(overlay(), 'Secret');
    for (const { name, valueFrom } of container.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]) {
      const ref = valueFrom?.secretKeyRef;
      if (!ref) continue;
      const secret = secrets.find((s) => s.metadata.name === ref.name);
      expect(secret, `${name}: Secret ${ref.name}`).toBeDefined();
      expect(Object.keys(secret!.data ?? {}), `${name}: key ${ref.key}`).toContain(ref.key);
    }
    expect(configMapData().NODE_ENV).toBe('production');
    expect(container.image).toBe('registry.example.com/rtc-sfu:0.1.0');
  });

  it('sets only variables the server reads (or that deploy/README.md lists as coming)', () => {
    const names = [...Object.keys(configMapData()), ...(sfuContainer().env as { name: string }[]).map((e) => e.name)];
    expect(unknownSettings(names)).toEqual([]);
    const readme = readFileSync('deploy/README.md', 'utf8');
    for (const name of UPCOMING_SETTINGS) expect(readme, `deploy/README.md documents ${name}`).toContain(`\`${name}\``);
  });
});

describe('around the Deployment', () => {
  it('the Service sends HTTP and WebSocket to the SFU pods, with no session affinity', () => {
    const service = find(overlay(), 'Service', 'rtc-sfu');
    expect(selects(service.spec.selector, podLabels())).toBe(true);
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.sessionAffinity ?? 'None').toBe('None');
  });

  it('the PodDisruptionBudget and the HorizontalPodAutoscaler cover the SFU', () => {
    const pdb = find(overlay(), 'PodDisruptionBudget', 'rtc-sfu');
    expect(selects(pdb.spec.selector.matchLabels, podLabels())).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const hpa = find(overlay(), 'HorizontalPodAutoscaler', 'rtc-sfu');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: sfuDeployment().metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }));
    expect(sfuDeployment().spec.replicas, 'the HPA owns the replica count').toBeUndefined();
  });

  it('Redis is reachable at REDIS_URL, and its NetworkPolicy admits only the SFU pods and the nodes', () => {
    const redis = find(overlay(), 'StatefulSet', 'redis');
    const redisLabels = redis.spec.template.metadata.labels;
    const url = new URL(configMapData().REDIS_URL!);
    const service = find(overlay(), 'Service', url.hostname);
    expect(selects(service.spec.selector, redisLabels)).toBe(true);
    expect(service.spec.ports.map((p: { port: number }) => String(p.port))).toContain(url.port);

    const policy = find(overlay(), 'NetworkPolicy', 'redis');
    expect(selects(policy.spec.podSelector.matchLabels, redisLabels)).toBe(true);
    expect(policy.spec.policyTypes).toContain('Ingress');
    const sources = policy.spec.ingress.flatMap((rule: { from: object[] }) => rule.from);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources as { podSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string }; namespaceSelector?: object }[]) {
      expect(source.namespaceSelector, 'no other namespaces').toBeUndefined();
      if (source.podSelector) expect(selects(source.podSelector.matchLabels, podLabels()), 'pod selector picks the SFU').toBe(true);
    }
    // Host-network pods reach Redis from their node's address: the overlay names the nodes.
    expect(sources.some((s: { ipBlock?: unknown }) => s.ipBlock)).toBe(true);
    for (const rule of policy.spec.ingress) expect(rule.ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
  });

  it('no Secret anywhere holds anything but a placeholder, and the base has none', () => {
    expect(all(rendered[BASE]!.current, 'Secret')).toEqual([]);
    for (const { current: a, legacy: b } of Object.values(rendered)) {
      for (const secret of all([...a, ...b], 'Secret')) {
        const values = [
          ...Object.values((secret.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString('utf8')),
          ...Object.values((secret.stringData ?? {}) as Record<string, string>),
        ];
        expect(values.length).toBeGreaterThan(0);
        for (const value of values) expect(PLACEHOLDERS.has(value), `${secret.metadata.name} holds a non-placeholder value`).toBe(true);
      }
    }
  });
});

describe('optional files (not in any kustomization)', () => {
  const optional = (file: string): K8sObject[] => parseObjects(readFileSync(path.join(OPTIONAL, file), 'utf8'), file);

  it('are not referenced by a kustomization', () => {
    for (const dir of [BASE, OVERLAY]) {
      const text = readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8');
      for (const file of readdirSync(OPTIONAL)) expect(text, `${dir} references ${file}`).not.toContain(file);
    }
  });

  it('the ServiceMonitor scrapes the SFU Service on its http port at /metrics', () => {
    const [monitor] = optional('servicemonitor.yaml');
    expect(monitor).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' });
    const service = find(overlay(), 'Service', 'rtc-sfu');
    expect(selects(monitor!.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(monitor!.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
  });

  it('the participants HPA is valid and scales on the metric the adapter rule serves and the server exports', () => {
    const [hpa] = optional('hpa-rtc-participants.yaml');
    expect(schemaErrors(hpa!)).toBe('');
    const metric = hpa!.spec.metrics.find((m: { type: string }) => m.type === 'Pods').pods.metric.name as string;
    const adapter = parse(readFileSync(path.join(OPTIONAL, 'prometheus-adapter-rules.yaml'), 'utf8')) as { rules: { custom: { name: { as: string }; seriesQuery: string }[] } };
    expect(adapter.rules.custom.map((r) => r.name.as)).toContain(metric);
    expect(adapter.rules.custom[0]!.seriesQuery).toContain(metric);
    expect(readFileSync('server/metrics.ts', 'utf8')).toContain(`name: '${metric}'`);
  });
});
