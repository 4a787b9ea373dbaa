// The downward API: a pod's own fields and its containers' resources as env values and volume files,
// formatted as the kubelet formats them (labels as sorted key="value" lines, resources rounded up to
// the divisor, limits defaulting to the node's allocatable).
import type { KubeObject } from '../resources/object-meta.ts';
import { parseQuantity } from './quantity.ts';

export class DownwardApiError extends Error {}

/** Go's %q for the strings label values can hold. */
function quote(value: string): string {
  return JSON.stringify(value);
}

export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${quote(map![k]!)}`)
    .join('\n');
}

export function fieldValue(pod: KubeObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]!] ?? '';
  const spec = (pod.spec ?? {}) as { nodeName?: string; serviceAccountName?: string };
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.hostIP':
    case 'status.podIPs':
    case 'status.hostIPs':
      return '127.0.0.1';
    default:
      throw new DownwardApiError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

export interface NodeAllocatable {
  cpu: number;
  memory: number;
}

interface Resources {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
}

/** resourceFieldRef: "limits.cpu", "requests.memory", ... of one container, divided and rounded up. */
export function resourceValue(
  pod: KubeObject,
  containerName: string,
  resource: string,
  divisor: string | number | undefined,
  node: NodeAllocatable,
): string {
  const containers = ((pod.spec as { containers?: Array<{ name: string; resources?: Resources }> })?.containers ??
    []) as Array<{ name: string; resources?: Resources }>;
  const container = containers.find((c) => c.name === containerName);
  if (!container) throw new DownwardApiError(`resourceFieldRef: container "${containerName}" not found in the pod`);
  const [kind, name] = resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !name)
    throw new DownwardApiError(`unsupported resourceFieldRef resource "${resource}"`);
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const allocatable = name === 'cpu' ? node.cpu : name === 'memory' ? node.memory : 0;
  const limit = parseQuantity(limits[name]);
  const value =
    kind === 'limits'
      ? (limit ?? allocatable)
      : (parseQuantity(requests[name]) ?? (name === 'cpu' || name === 'memory' ? (limit ?? 0) : 0));
  const by = parseQuantity(divisor ?? 1) || 1;
  return String(Math.ceil(value / by - 1e-9));
}
