// ResourceQuota accounting as kube's quota evaluators do it, as pure functions: which quota resource
// names an object counts towards and by how much (object counts, pods and their compute requests
// and limits, claims and their storage, Services by type), and the usage of a namespace.
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { formatQuantity, parseQuantity, quantityStyle } from './quantity.ts';

/** The short names kube accepts for these object counts (besides count/<resource>). */
const LEGACY_COUNTS: Record<string, string> = {
  '/pods': 'pods',
  '/services': 'services',
  '/configmaps': 'configmaps',
  '/secrets': 'secrets',
  '/persistentvolumeclaims': 'persistentvolumeclaims',
  '/replicationcontrollers': 'replicationcontrollers',
  '/resourcequotas': 'resourcequotas',
};

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

interface Container {
  name: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

/** `count/deployments.apps`, `count/pods`: the generic object-count name of a type. */
export function countName(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group ? `count/${type.plural}.${type.group}` : `count/${type.plural}`;
}

export function isTerminalPod(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function podContainers(pod: KubeObject): Container[] {
  return ((pod.spec as { containers?: Container[] } | undefined)?.containers ?? []) as Container[];
}

function isBestEffort(pod: KubeObject): boolean {
  return podContainers(pod).every(
    (c) => !Object.keys(c.resources?.requests ?? {}).length && !Object.keys(c.resources?.limits ?? {}).length,
  );
}

/** Whether a pod falls under a quota's scopes (only pods are scoped here). */
export function podInScopes(pod: KubeObject, scopes: string[]): boolean {
  const terminating = (pod.spec as { activeDeadlineSeconds?: number } | undefined)?.activeDeadlineSeconds !== undefined;
  return scopes.every((s) => {
    if (s === 'Terminating') return terminating;
    if (s === 'NotTerminating') return !terminating;
    if (s === 'BestEffort') return isBestEffort(pod);
    if (s === 'NotBestEffort') return !isBestEffort(pod);
    return true;
  });
}

/** What one object counts for: quota resource name -> amount (in base units). */
export function usageOf(type: ResourceType, obj: KubeObject): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, n: number) => out.set(name, (out.get(name) ?? 0) + n);
  if (type.storageKey === '/pods' && isTerminalPod(obj)) return out;
  add(countName(type), 1);
  const legacy = LEGACY_COUNTS[type.storageKey];
  if (legacy) add(legacy, 1);
  if (type.storageKey === '/pods') {
    for (const c of podContainers(obj)) {
      for (const r of COMPUTE) {
        const request = parseQuantity(c.resources?.requests?.[r]) ?? parseQuantity(c.resources?.limits?.[r]);
        const limit = parseQuantity(c.resources?.limits?.[r]);
        if (request !== undefined) {
          add(`requests.${r}`, request);
          add(r, request);
        }
        if (limit !== undefined) add(`limits.${r}`, limit);
      }
    }
  } else if (type.storageKey === '/persistentvolumeclaims') {
    const spec = (obj.spec ?? {}) as { storageClassName?: string; resources?: { requests?: { storage?: string } } };
    const storage = parseQuantity(spec.resources?.requests?.storage) ?? 0;
    add('requests.storage', storage);
    if (spec.storageClassName) {
      add(`${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`, storage);
      add(`${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`, 1);
    }
  } else if (type.storageKey === '/services') {
    const spec = (obj.spec ?? {}) as { type?: string; ports?: unknown[] };
    if (spec.type === 'LoadBalancer') add('services.loadbalancers', 1);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') add('services.nodeports', (spec.ports ?? []).length);
  }
  return out;
}

/** The compute resources a quota limits that a pod's containers leave unset (kube refuses such pods). */
export function missingCompute(pod: KubeObject, hard: Record<string, unknown>): string[] {
  const missing: string[] = [];
  for (const key of Object.keys(hard)) {
    const m =
      /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.exec(key) ??
      (/^(cpu|memory)$/.test(key) ? ['', 'requests', key] : null);
    if (!m) continue;
    const [, kind, resource] = m as unknown as [string, 'requests' | 'limits', string];
    const lacking = podContainers(pod)
      .filter((c) => {
        const value =
          c.resources?.[kind]?.[resource] ?? (kind === 'requests' ? c.resources?.limits?.[resource] : undefined);
        return value === undefined;
      })
      .map((c) => c.name);
    if (lacking.length) missing.push(`${kind}.${resource} for: ${lacking.join(',')}`);
  }
  return [...new Set(missing)];
}

/** Quota amounts formatted the way kube reports them ("500m", "1Gi", "3"). */
export function formatAmount(name: string, value: number, like: unknown): string {
  if (/(^|\.)(memory|storage|ephemeral-storage)$/.test(name) || name.endsWith('requests.storage'))
    return formatQuantity(value, quantityStyle(like) === 'binary' || value % 1024 === 0 ? 'binary' : 'decimal');
  return formatQuantity(value);
}
