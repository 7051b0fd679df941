// Rendering the kustomizations and checking the objects offline: kubernetes-models
// validates each one against the OpenAPI schema of the Kubernetes version below.
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { runOk, type Kubectl } from './tools.js';

/** The schemas kubernetes-models 4.5.x ships (its changelog: "Update schema version to v1.33.0"). */
export const SCHEMA_KUBERNETES_VERSION = 'v1.33.0';

export const BASE = 'deploy/k8s/base';
export const OVERLAY = 'deploy/k8s/overlays/example';
export const OPTIONAL = 'deploy/k8s/optional';

/** A Kubernetes object as YAML gives it: loosely typed, read with the helpers below. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, any>;

type Validatable = new (data: any) => { validate(): void };
const MODELS: Record<string, Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

export function parseObjects(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

export function render(kubectl: Kubectl, dir: string): K8sObject[] {
  return parseObjects(runOk(kubectl.path, ['kustomize', dir]), `${kubectl.path} kustomize ${dir}`);
}

/** Schema errors of one object ('' when valid); an unknown kind is an error too. */
export function schemaErrors(object: K8sObject): string {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  const what = `${object.kind} ${object.metadata?.name}`;
  if (!Model) return `${what}: no schema for ${object.apiVersion}/${object.kind}; add its model to tests/deploy/support/kubernetes.ts`;
  try {
    new Model(object).validate();
    return '';
  } catch (err) {
    return `${what}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export function find(objects: K8sObject[], kind: string, namePrefix: string): K8sObject {
  const matches = objects.filter((o) => o.kind === kind && (o.metadata.name === namePrefix || o.metadata.name.startsWith(`${namePrefix}-`)));
  const exact = matches.find((o) => o.metadata.name === namePrefix);
  const found = exact ?? matches[0];
  if (!found) throw new Error(`no ${kind} ${namePrefix} in: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export function all(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Whether a matchLabels selector selects an object with these labels. */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!matchLabels || Object.keys(matchLabels).length === 0) return false;
  return Object.entries(matchLabels).every(([k, v]) => labels?.[k] === v);
}

/**
 * Objects comparable across kustomize versions: generated names lose their content hash
 * (each version hashes differently), empty annotations go, and order is by kind and name.
 */
export function comparable(objects: K8sObject[]): K8sObject[] {
  const hashed = new Map<string, string>();
  for (const o of objects) {
    if ((o.kind === 'ConfigMap' || o.kind === 'Secret') && /-[a-z0-9]{10}$/.test(o.metadata.name)) hashed.set(o.metadata.name, o.metadata.name.slice(0, -11));
  }
  const json = JSON.stringify(objects, (_key, value: unknown) => {
    if (typeof value === 'string' && hashed.has(value)) return hashed.get(value);
    if (value && typeof value === 'object' && !Array.isArray(value) && 'annotations' in value) {
      const { annotations, ...rest } = value as { annotations?: object };
      return annotations && Object.keys(annotations).length > 0 ? value : rest;
    }
    return value;
  });
  return (JSON.parse(json) as K8sObject[]).sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}
