// kube-controller-manager's resource quota controller: each ResourceQuota's status.hard mirrors its
// spec and status.used is kept current, recomputed for a namespace whenever something there changes.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import { formatAmount } from '../logic/quota.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { WatchCache, Change } from '../storage/watch-cache.ts';
import { namespaceUsage, quotaView } from './quota-usage.ts';

export class ResourceQuotaController extends Controller {
  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
  ) {
    super(cache, logger);
  }

  start(): void {
    for (const q of this.api.list(this.catalog.lookup('', 'v1', 'resourcequotas')!, undefined).items)
      this.queue.add(q.metadata.namespace!);
  }

  protected onChange(change: Change): void {
    if (!change.namespace || change.storageKey === '/events') return;
    const quotas = this.catalog.lookup('', 'v1', 'resourcequotas')!;
    if (change.storageKey === '/resourcequotas' || this.api.list(quotas, change.namespace).items.length)
      this.queue.add(change.namespace);
  }

  protected async reconcile(namespace: string): Promise<void> {
    const type = this.catalog.lookup('', 'v1', 'resourcequotas')!;
    for (const quota of this.api.list(type, namespace).items) {
      if (quota.metadata.deletionTimestamp) continue;
      const view = quotaView(quota);
      const used = namespaceUsage(this.api, this.catalog, namespace, view);
      const status = {
        hard: view.hard,
        used: Object.fromEntries([...used].map(([k, v]) => [k, formatAmount(k, v, view.hard[k])])),
      };
      if (deepEqual(status, quota.status ?? {})) continue;
      await this.api
        .update(
          type,
          namespace,
          quota.metadata.name!,
          { ...quota, status },
          systemContext('resourcequota-controller'),
          'status',
        )
        .catch(tolerating(404, 409));
    }
  }
}
