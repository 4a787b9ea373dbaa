// Namespace lifecycle: every namespace gets its "default" ServiceAccount and the kube-root-ca.crt
// ConfigMap (as in a real cluster); a deleted namespace is emptied (content finalizers honoured) and
// then finalized, which removes it.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from './controller.ts';

const NAMESPACES = '/namespaces';

export class NamespaceController extends Controller {
  private readonly terminating = new Set<string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly caCertPem: string,
  ) {
    super(cache, logger);
  }

  private get nsType(): ResourceType {
    return this.catalog.lookup('', 'v1', 'namespaces')!;
  }

  /** Start-up: bring every stored namespace to its desired state. */
  load(): void {
    for (const ns of this.api.list(this.nsType, undefined).items) this.queue.add(ns.metadata.name!);
  }

  protected onChange(change: Change): void {
    if (change.storageKey === NAMESPACES) {
      if (change.type !== 'DELETED') this.queue.add(change.object.metadata.name as string);
      else this.terminating.delete(change.object.metadata.name as string);
      return;
    }
    if (change.type === 'DELETED' && this.terminating.has(change.namespace)) this.queue.add(change.namespace);
  }

  protected async reconcile(name: string): Promise<void> {
    const ns = this.api.tryGet(this.nsType, '', name);
    if (!ns) return;
    if (ns.metadata.deletionTimestamp) {
      this.terminating.add(name);
      await this.empty(ns);
      return;
    }
    await this.ensureDefaults(name);
  }

  private async ensureDefaults(namespace: string): Promise<void> {
    const ctx = systemContext('namespace-controller');
    const sa = this.catalog.lookup('', 'v1', 'serviceaccounts')!;
    const cm = this.catalog.lookup('', 'v1', 'configmaps')!;
    if (!this.api.tryGet(sa, namespace, 'default')) {
      await this.api.create(sa, namespace, { metadata: { name: 'default' } }, ctx).catch(tolerating(409, 404, 403));
    }
    if (!this.api.tryGet(cm, namespace, 'kube-root-ca.crt')) {
      await this.api
        .create(
          cm,
          namespace,
          {
            metadata: {
              name: 'kube-root-ca.crt',
              annotations: {
                'kubernetes.io/description':
                  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal ' +
                  'endpoints such as the internal service IP or kubernetes.default.svc. No other usage is ' +
                  'guaranteed across distributions of Kubernetes clusters.',
              },
            },
            data: { 'ca.crt': this.caCertPem },
          },
          ctx,
        )
        .catch(tolerating(409, 404, 403));
    }
  }

  private async empty(ns: KubeObject): Promise<void> {
    const name = ns.metadata.name!;
    const ctx = systemContext('namespace-controller');
    const seen = new Set<string>();
    let remaining = 0;
    for (const type of this.catalog.all()) {
      if (!type.namespaced || seen.has(type.storageKey)) continue;
      seen.add(type.storageKey);
      for (const item of this.api.list(type, name).items) {
        remaining++;
        if (!item.metadata.deletionTimestamp) {
          await this.api
            .delete(type, name, item.metadata.name!, { propagationPolicy: 'Background' }, ctx)
            .catch(tolerating(404));
        }
      }
    }
    if (remaining > 0) {
      // some objects may have been deleted right away: look again; those with finalizers bring us back
      const left = [...seen].some((key) => this.api.list(this.catalog.versionsOf(key)[0]!, name).items.length > 0);
      if (left) return;
    }
    await this.api
      .update(this.nsType, '', name, { ...ns, spec: { finalizers: [] } }, ctx, 'finalize')
      .catch(tolerating(404));
  }
}
