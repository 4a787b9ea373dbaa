// The RBAC policy the authorizer reads, kept current by following the watch cache: any change to a
// Role, ClusterRole or binding marks the snapshot stale, and the next decision rebuilds it from the
// in-memory store. Requests never read the database, and a burst of RBAC writes costs one rebuild.
import type { ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { RbacPolicy } from './rbac.ts';

const GROUP = 'rbac.authorization.k8s.io';
const PLURALS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const;
const KEYS = new Set(PLURALS.map((p) => `${GROUP}/${p}`));

export class RbacCache {
  private snapshot?: RbacPolicy;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: () => ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
  ) {
    this.unsubscribe = cache.onChange((change) => {
      if (KEYS.has(change.storageKey)) this.snapshot = undefined;
    });
  }

  policy(): RbacPolicy {
    if (!this.snapshot) {
      const list = (plural: (typeof PLURALS)[number]) =>
        this.api().list(this.catalog.lookup(GROUP, 'v1', plural)!, undefined).items;
      this.snapshot = new RbacPolicy({
        roles: list('roles'),
        clusterRoles: list('clusterroles'),
        roleBindings: list('rolebindings'),
        clusterRoleBindings: list('clusterrolebindings'),
      });
    }
    return this.snapshot;
  }

  stop(): void {
    this.unsubscribe();
  }
}
