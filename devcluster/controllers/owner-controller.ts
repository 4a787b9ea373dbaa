// The workload controllers' common shape (ReplicaSet, Deployment, Job, CronJob, StatefulSet,
// DaemonSet): one key per object of their own kind, queued when it changes and for every object of
// it at start, and a change to an object they own (a pod, a ReplicaSet, a Job, a claim) queues its
// controlling owner, as kube-controller-manager's controllers resolve controller references.
import type { Logger } from 'pino';
import type { ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject, OwnerReference } from '../resources/object-meta.ts';
import { storageKeyOf, type ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller } from './controller.ts';

/** The owner reference of `obj` that marks its controller of `kind`, if any. */
export function controllerRef(obj: KubeObject | undefined, kind: string): OwnerReference | undefined {
  return obj?.metadata.ownerReferences?.find((r) => r.controller && r.kind === kind);
}

/** The uid of `obj`'s controller of `kind`, if any. */
export function controllerUid(obj: KubeObject, kind: string): string | undefined {
  return controllerRef(obj, kind)?.uid;
}

export interface OwnerKind {
  /** The controller's own kind, e.g. { group: 'apps', plural: 'statefulsets', kind: 'StatefulSet' }. */
  group: string;
  plural: string;
  kind: string;
  /** What it owns, as group and plural, e.g. [['', 'pods']]. */
  owns: Array<[group: string, plural: string]>;
}

export abstract class OwnerController extends Controller {
  private readonly ownKey: string;
  private readonly ownedKeys: Set<string>;

  constructor(
    protected readonly api: ObjectApi,
    protected readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly kind: OwnerKind,
  ) {
    super(cache, logger);
    this.ownKey = storageKeyOf(kind.group, kind.plural);
    this.ownedKeys = new Set(kind.owns.map(([group, plural]) => storageKeyOf(group, plural)));
  }

  /** A served v1 type of the catalog. */
  protected type(group: string, plural: string): ResourceType {
    return this.catalog.lookup(group, 'v1', plural)!;
  }

  /** Queues every object of the controller's kind. */
  start(): void {
    for (const o of this.api.list(this.type(this.kind.group, this.kind.plural), undefined).items)
      this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
  }

  protected onChange(change: Change): void {
    if (change.storageKey === this.ownKey) {
      this.queue.add(`${change.namespace}/${change.name}`);
      return;
    }
    if (!this.ownedKeys.has(change.storageKey)) return;
    // the old version too: an object whose owner reference was removed still concerns that owner
    for (const o of [change.object, change.oldObject]) {
      const ref = controllerRef(o as unknown as KubeObject | undefined, this.kind.kind);
      if (ref) this.queue.add(`${change.namespace}/${ref.name}`);
    }
  }
}
