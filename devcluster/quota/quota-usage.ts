// A namespace's usage of the resources a quota limits, read from the in-memory store: each hard key
// names the kind it counts (count/<resource>[.<group>], pods and compute, claims and storage,
// Services), and only those kinds are listed.
import type { ObjectApi } from '../api/object-api.ts';
import { podInScopes, usageOf } from '../logic/quota.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';

/** The kind a quota resource name counts, or undefined when devcluster does not know it. */
export function kindOf(catalog: ResourceCatalog, name: string): ResourceType | undefined {
  const core = (plural: string) => catalog.lookup('', 'v1', plural);
  const count = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
  if (count) {
    const [, plural, group = ''] = count;
    return catalog.all().find((t) => t.plural === plural && t.group === group && t.namespaced);
  }
  if (/^(pods|cpu|memory|ephemeral-storage|(requests|limits)\.(cpu|memory|ephemeral-storage))$/.test(name))
    return core('pods');
  if (/^services(\.loadbalancers|\.nodeports)?$/.test(name)) return core('services');
  if (
    name === 'persistentvolumeclaims' ||
    name === 'requests.storage' ||
    name.includes('.storageclass.storage.k8s.io/')
  )
    return core('persistentvolumeclaims');
  if (['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers'].includes(name)) return core(name);
  return undefined;
}

export interface QuotaView {
  hard: Record<string, string>;
  scopes: string[];
}

export function quotaView(quota: KubeObject): QuotaView {
  const spec = (quota.spec ?? {}) as { hard?: Record<string, string>; scopes?: string[] };
  return { hard: spec.hard ?? {}, scopes: spec.scopes ?? [] };
}

/** Whether an object of this type counts towards a quota with these scopes. */
export function inScope(type: ResourceType, obj: KubeObject, scopes: string[]): boolean {
  return scopes.length === 0 || (type.storageKey === '/pods' && podInScopes(obj, scopes));
}

/** Usage per hard key in `namespace`, leaving out `except` (an object being replaced). */
export function namespaceUsage(
  api: ObjectApi,
  catalog: ResourceCatalog,
  namespace: string,
  quota: QuotaView,
  except?: { storageKey: string; name: string },
): Map<string, number> {
  const used = new Map<string, number>();
  const listed = new Map<string, KubeObject[]>();
  for (const key of Object.keys(quota.hard)) {
    const type = kindOf(catalog, key);
    used.set(key, 0);
    if (!type) continue;
    let items = listed.get(type.storageKey);
    if (!items) listed.set(type.storageKey, (items = api.list(type, namespace).items));
    let total = 0;
    for (const obj of items) {
      if (except?.storageKey === type.storageKey && except.name === obj.metadata.name) continue;
      if (!inScope(type, obj, quota.scopes)) continue;
      total += usageOf(type, obj).get(key) ?? 0;
    }
    used.set(key, total);
  }
  return used;
}
