// The set of resources the server currently serves: the built-ins plus one entry per served version
// of every established CRD. Lookups for routing, discovery and storage conversion go through here.
import { EventEmitter } from 'node:events';
import { crdResourceTypes } from './crd.ts';
import type { KubeObject } from './object-meta.ts';
import type { ResourceType } from './resource-type.ts';

export interface GroupInfo {
  group: string;
  versions: string[];
  preferredVersion: string;
}

const BUILTIN_GROUP_ORDER = [
  '',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
];

export class ResourceCatalog extends EventEmitter {
  private readonly types = new Map<string, ResourceType>();
  private readonly crdTypes = new Map<string, ResourceType[]>();
  /** Bumped on every change; discovery and OpenAPI hashes derive from it. */
  revision = 1;

  constructor(builtins: ResourceType[]) {
    super();
    for (const t of builtins) this.types.set(key(t.group, t.version, t.plural), t);
  }

  /** Serve more built-in kinds (those that need the running server's parts, like access reviews). */
  register(types: ResourceType[]): void {
    for (const t of types) this.types.set(key(t.group, t.version, t.plural), t);
    this.revision++;
    this.emit('changed');
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(key(group, version, plural));
  }

  /** Every served type, built-ins first, in a stable order. */
  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** The served versions sharing one storage key (several for multi-version CRDs and Events). */
  versionsOf(storageKey: string): ResourceType[] {
    return this.all().filter((t) => t.storageKey === storageKey);
  }

  groups(): GroupInfo[] {
    const byGroup = new Map<string, string[]>();
    for (const t of this.types.values()) {
      const versions = byGroup.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      byGroup.set(t.group, versions);
    }
    const order = (g: string) => {
      const i = BUILTIN_GROUP_ORDER.indexOf(g);
      return i === -1 ? BUILTIN_GROUP_ORDER.length : i;
    };
    return [...byGroup.entries()]
      .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
      .map(([group, versions]) => {
        const sorted = sortVersions(versions);
        return { group, versions: sorted, preferredVersion: sorted[0]! };
      });
  }

  resourcesOf(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  /** Serve (or re-serve after a change) the versions of a valid CRD. */
  setCrd(crd: KubeObject): void {
    const name = crd.metadata.name!;
    for (const t of this.crdTypes.get(name) ?? []) this.types.delete(key(t.group, t.version, t.plural));
    const types = crdResourceTypes(crd);
    for (const t of types) this.types.set(key(t.group, t.version, t.plural), t);
    this.crdTypes.set(name, types);
    this.revision++;
    this.emit('changed');
  }

  removeCrd(name: string): void {
    const types = this.crdTypes.get(name);
    if (!types) return;
    for (const t of types) this.types.delete(key(t.group, t.version, t.plural));
    this.crdTypes.delete(name);
    this.revision++;
    this.emit('changed');
  }
}

function key(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2] || a.localeCompare(b);
  });
}
