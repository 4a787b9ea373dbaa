// The garbage collector: ownerReferences by uid. When an owner goes away its dependents are deleted
// (background); an owner deleted with propagationPolicy=Foreground keeps the foregroundDeletion
// finalizer until its blocking dependents are gone; Orphan strips the references instead. Dependents
// whose owners never existed (or were replaced: same name, new uid) are collected too.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from './controller.ts';

interface Node {
  storageKey: string;
  namespace: string;
  name: string;
  ownerUids: string[];
  blocksOwner: Set<string>;
}

const ctx = () => systemContext('generic-garbage-collector');

export class GarbageCollector extends Controller {
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();
  /** Owners being deleted in the foreground: their dependents go the same way. */
  private readonly foregroundOwners = new Set<string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
  ) {
    super(cache, logger);
  }

  /** Index the objects already stored (start-up), then check every dependent once. */
  load(objects: Array<{ storageKey: string; object: Record<string, unknown> }>): void {
    for (const o of objects) this.index(o.storageKey, o.object as unknown as KubeObject);
    for (const [uid, node] of this.nodes) if (node.ownerUids.length) this.queue.add(uid);
  }

  private index(storageKey: string, obj: KubeObject): void {
    const uid = obj.metadata.uid!;
    const previous = this.nodes.get(uid);
    for (const owner of previous?.ownerUids ?? []) this.dependents.get(owner)?.delete(uid);
    const refs = obj.metadata.ownerReferences ?? [];
    const node: Node = {
      storageKey,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name!,
      ownerUids: refs.map((r) => r.uid),
      blocksOwner: new Set(refs.filter((r) => r.blockOwnerDeletion).map((r) => r.uid)),
    };
    this.nodes.set(uid, node);
    for (const owner of node.ownerUids) {
      let set = this.dependents.get(owner);
      if (!set) this.dependents.set(owner, (set = new Set()));
      set.add(uid);
    }
  }

  protected onChange(change: Change): void {
    const obj = change.object as unknown as KubeObject;
    const uid = obj.metadata.uid;
    if (!uid) return;
    if (change.type === 'DELETED') {
      const node = this.nodes.get(uid);
      this.nodes.delete(uid);
      for (const owner of node?.ownerUids ?? []) {
        this.dependents.get(owner)?.delete(uid);
        // a foreground-deleting owner may now be free to go
        if (this.nodes.has(owner)) this.queue.add(owner);
      }
      for (const dependent of this.dependents.get(uid) ?? []) this.queue.add(dependent);
      return;
    }
    const before = this.nodes.get(uid)?.ownerUids;
    this.index(change.storageKey, obj);
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && (finalizers.includes('foregroundDeletion') || finalizers.includes('orphan')))
      this.queue.add(uid);
    // A dependent is checked when its owners change (or it is new); later updates with the same
    // owners (status writes, mostly) need no check: an owner's deletion enqueues its dependents.
    const after = this.nodes.get(uid)!.ownerUids;
    if (after.length && (!before || before.length !== after.length || before.some((o, i) => o !== after[i])))
      this.queue.add(uid);
  }

  private typeOf(node: Node): ResourceType | undefined {
    return this.catalog.versionsOf(node.storageKey)[0];
  }

  protected async reconcile(uid: string): Promise<void> {
    const node = this.nodes.get(uid);
    if (!node) return;
    const type = this.typeOf(node);
    if (!type) return;
    const obj = this.api.tryGet(type, node.namespace, node.name);
    if (!obj || obj.metadata.uid !== uid) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes('orphan')) await this.orphanDependents(uid, type, obj);
    else if (obj.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion'))
      await this.deleteForeground(uid, type, obj);
    await this.collectIfOwnersGone(type, obj);
  }

  /** Deletes `obj` when none of its owners exists any more; drops references to the missing ones otherwise. */
  private async collectIfOwnersGone(type: ResourceType, obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) return;
    const present = refs.filter((r) => {
      const owner = this.nodes.get(r.uid);
      return owner !== undefined && (owner.namespace === '' || owner.namespace === (obj.metadata.namespace ?? ''));
    });
    if (present.length === refs.length) return;
    if (present.length === 0) {
      const ownerDeleting = refs.some((r) => this.foregroundOwners.has(r.uid));
      await this.deleteQuietly(type, obj, ownerDeleting ? 'Foreground' : 'Background');
      return;
    }
    await this.api
      .patch(
        type,
        obj.metadata.namespace ?? '',
        obj.metadata.name!,
        'merge',
        {
          metadata: { ownerReferences: present, resourceVersion: obj.metadata.resourceVersion },
        },
        ctx(),
      )
      .catch(tolerating(404, 409));
  }

  private async deleteForeground(uid: string, type: ResourceType, owner: KubeObject): Promise<void> {
    this.foregroundOwners.add(uid);
    const blocking: string[] = [];
    for (const depUid of [...(this.dependents.get(uid) ?? [])]) {
      const dep = this.nodes.get(depUid);
      if (!dep) continue;
      const depType = this.typeOf(dep);
      if (!depType) continue;
      const depObj = this.api.tryGet(depType, dep.namespace, dep.name);
      if (!depObj) continue;
      if (dep.blocksOwner.has(uid)) blocking.push(depUid);
      if (!depObj.metadata.deletionTimestamp) await this.deleteQuietly(depType, depObj, 'Foreground');
    }
    if (blocking.some((d) => this.nodes.has(d))) return; // their DELETED events bring us back
    this.foregroundOwners.delete(uid);
    await this.removeFinalizer(type, owner, 'foregroundDeletion');
  }

  private async orphanDependents(uid: string, type: ResourceType, owner: KubeObject): Promise<void> {
    for (const depUid of [...(this.dependents.get(uid) ?? [])]) {
      const dep = this.nodes.get(depUid);
      const depType = dep && this.typeOf(dep);
      if (!dep || !depType) continue;
      const depObj = this.api.tryGet(depType, dep.namespace, dep.name);
      if (!depObj) continue;
      const remaining = (depObj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      await this.api
        .patch(
          depType,
          dep.namespace,
          dep.name,
          'merge',
          { metadata: { ownerReferences: remaining.length ? remaining : null } },
          ctx(),
        )
        .catch(tolerating(404, 409));
    }
    await this.removeFinalizer(type, owner, 'orphan');
  }

  private async removeFinalizer(type: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.api
      .patch(
        type,
        obj.metadata.namespace ?? '',
        obj.metadata.name!,
        'merge',
        {
          metadata: {
            finalizers: finalizers.length ? finalizers : null,
            resourceVersion: obj.metadata.resourceVersion,
          },
        },
        ctx(),
      )
      .catch(tolerating(404, 409));
  }

  private async deleteQuietly(type: ResourceType, obj: KubeObject, policy: 'Background' | 'Foreground'): Promise<void> {
    await this.api
      .delete(
        type,
        obj.metadata.namespace ?? '',
        obj.metadata.name!,
        { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } },
        ctx(),
      )
      .catch(tolerating(404, 409));
  }
}
