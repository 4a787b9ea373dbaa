// Serves CRDs as they change (synchronously, so a custom resource can be created right after its
// CRD), and on CRD deletion removes every custom resource before releasing the CRD's finalizer.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { CRD_CLEANUP_FINALIZER, crdResourceTypes, validateCrd } from '../resources/crd.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { storageKeyOf } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from './controller.ts';

export const CRD_STORAGE_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export class CrdController extends Controller {
  /** storage key of a terminating CRD's resources -> CRD name */
  private readonly terminating = new Map<string, string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    private readonly logger: Logger,
  ) {
    super(cache, logger);
  }

  /** Serves the CRDs already stored (start-up). */
  load(crds: KubeObject[]): void {
    for (const crd of crds) this.serve(crd);
  }

  private serve(crd: KubeObject): void {
    if (validateCrd(crd).length) {
      this.logger.warn({ crd: crd.metadata.name }, 'stored CRD is invalid; not serving it');
      return;
    }
    this.catalog.setCrd(crd);
    if (crd.metadata.deletionTimestamp) {
      const t = crdResourceTypes(crd)[0];
      if (t) this.terminating.set(t.storageKey, crd.metadata.name!);
      this.queue.add(crd.metadata.name!);
    }
  }

  protected onChange(change: Change): void {
    if (change.storageKey === CRD_STORAGE_KEY) {
      const crd = change.object as unknown as KubeObject;
      if (change.type === 'DELETED') {
        this.catalog.removeCrd(crd.metadata.name!);
        return;
      }
      this.serve(crd);
      return;
    }
    if (change.type === 'DELETED') {
      const crdName = this.terminating.get(change.storageKey);
      if (crdName) this.queue.add(crdName);
    }
  }

  /** A terminating CRD: delete its custom resources, then release the CRD. */
  protected async reconcile(name: string): Promise<void> {
    const crdType = this.catalog.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const crd = this.api.tryGet(crdType, '', name);
    if (!crd?.metadata.deletionTimestamp) return;
    const spec = crd.spec as { group: string; names: { plural: string } };
    const key = storageKeyOf(spec.group, spec.names.plural);
    const type = this.catalog.versionsOf(key)[0];
    const ctx = systemContext('apiextensions-controller');
    if (type) {
      const { items } = this.api.list(type, undefined);
      for (const item of items) {
        if (!item.metadata.deletionTimestamp)
          await this.api
            .delete(type, item.metadata.namespace ?? '', item.metadata.name!, {}, ctx)
            .catch(tolerating(404, 409));
      }
      // custom resources with finalizers: wait for their DELETED events
      if (this.api.list(type, undefined).items.length > 0) return;
    }
    this.terminating.delete(key);
    const finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
    await this.api.patch(
      crdType,
      '',
      name,
      'merge',
      { metadata: { finalizers, resourceVersion: crd.metadata.resourceVersion } },
      ctx,
    );
  }
}
