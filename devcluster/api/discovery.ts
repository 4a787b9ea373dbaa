// Discovery documents: the legacy per-group JSON and the aggregated apidiscovery.k8s.io/v2 form
// kubectl asks for first (it halves the requests kubectl makes before its first real call).
import type { ResourceCatalog } from '../resources/catalog.ts';
import { apiVersionOf, type ResourceType } from '../resources/resource-type.ts';

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

export function legacyVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(catalog: ResourceCatalog, group: string) {
  const info = catalog.groups().find((g) => g.group === group);
  if (!info) return undefined;
  return {
    name: group,
    versions: info.versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${info.preferredVersion}`, version: info.preferredVersion },
  };
}

export function groupList(catalog: ResourceCatalog): object {
  const groups = catalog
    .groups()
    .filter((g) => g.group !== '')
    .map((g) => groupEntry(catalog, g.group));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(catalog: ResourceCatalog, group: string): object | undefined {
  const entry = groupEntry(catalog, group);
  return entry && { kind: 'APIGroup', apiVersion: 'v1', ...entry };
}

function subresources(t: ResourceType): Array<{ name: string; kind: string; group?: string; version?: string }> {
  const out: Array<{ name: string; kind: string; group?: string; version?: string }> = [];
  if (t.statusSubresource) out.push({ name: 'status', kind: t.kind });
  if (t.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1' });
  if (t.storageKey === '/namespaces') out.push({ name: 'finalize', kind: 'Namespace' });
  if (t.storageKey === '/pods') out.push({ name: 'log', kind: 'Pod' });
  if (t.storageKey === '/serviceaccounts')
    out.push({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' });
  return out;
}

function subresourceVerbs(name: string): string[] {
  if (name === 'finalize') return ['update'];
  if (name === 'log') return ['get'];
  if (name === 'token') return ['create'];
  return SUBRESOURCE_VERBS;
}

export function resourceList(catalog: ResourceCatalog, group: string, version: string): object | undefined {
  const types = catalog.resourcesOf(group, version);
  if (types.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    });
    for (const s of subresources(t)) {
      resources.push({
        name: `${t.plural}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: s.kind,
        ...(s.group ? { group: s.group, version: s.version } : {}),
        verbs: subresourceVerbs(s.name),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** Aggregated discovery for /api (`legacy`) or /apis. */
export function aggregatedDiscovery(catalog: ResourceCatalog, legacy: boolean): object {
  const items = catalog
    .groups()
    .filter((g) => (g.group === '') === legacy)
    .map((g) => ({
      metadata: { ...(g.group ? { name: g.group } : {}), creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: catalog.resourcesOf(g.group, version).map((t) => ({
          resource: t.plural,
          responseKind: { group: t.group, version: t.version, kind: t.kind },
          scope: t.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: t.singular,
          verbs: t.verbs,
          ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
          ...(t.categories.length ? { categories: t.categories } : {}),
          ...(subresources(t).length
            ? {
                subresources: subresources(t).map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group ?? t.group, version: s.version ?? t.version, kind: s.kind },
                  verbs: subresourceVerbs(s.name),
                })),
              }
            : {}),
        })),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
