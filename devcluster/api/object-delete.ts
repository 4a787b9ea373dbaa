// Deletion as kube-apiserver does it: preconditions, propagation policies (the orphan and
// foregroundDeletion finalizers), graceful deletion (deletionTimestamp in the future, finished by a
// delete with gracePeriodSeconds=0), finalizers that hold an object until the last one is removed,
// and deletecollection.
import type { JsonObject } from '../logic/schema.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { StoreKey } from '../storage/sqlite-store.ts';
import { ApiError, conflict, invalid, notFound, STALE_OBJECT, successStatus, type Status } from './errors.ts';
import type { DeleteOptions, ListOptions, ListResult, WriteContext } from './object-api-types.ts';
import {
  NAMESPACES_KEY,
  RetryableConflict,
  type StoredObjects,
  unwrapConflict,
  UPDATE_RETRIES,
} from './stored-objects.ts';
import { admissionAttributes, type WriteAdmission } from './write-checks.ts';

const POLICIES = ['Orphan', 'Background', 'Foreground'];

export class ObjectDeletion {
  constructor(
    private readonly objects: StoredObjects,
    private readonly admission: WriteAdmission,
    private readonly clock: () => number,
    private readonly list: (type: ResourceType, namespace: string | undefined, opts: ListOptions) => ListResult,
  ) {}

  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions,
    ctx: WriteContext,
  ): Promise<{ object: KubeObject | Status; pending: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const current = this.objects.read(type, namespace, name);
      if (!current) throw notFound({ group: type.group, resource: type.plural, name });
      checkPreconditions(type, name, current, options);
      const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
      if (policy !== undefined && !POLICIES.includes(policy)) {
        throw invalid('DeleteOptions', 'meta.k8s.io', '', [
          {
            type: 'FieldValueNotSupported',
            field: 'propagationPolicy',
            detail:
              `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", ` +
              `"Background", "Orphan", "nil"`,
          },
        ]);
      }
      await this.admission.validate(
        admissionAttributes('DELETE', type, '', namespace, name, null, current, ctx, {
          kind: 'DeleteOptions',
          apiVersion: 'meta.k8s.io/v1',
          ...options,
        }),
        ctx.warnings,
      );
      const extraFinalizer =
        policy === 'Foreground' ? 'foregroundDeletion' : policy === 'Orphan' ? 'orphan' : undefined;
      const finalizers = [...(current.metadata.finalizers ?? [])];
      if (extraFinalizer && !finalizers.includes(extraFinalizer) && !current.metadata.deletionTimestamp)
        finalizers.push(extraFinalizer);
      if (ctx.dryRun) return { object: current, pending: finalizers.length > 0 };
      const key = this.objects.key(type, namespace, name);
      const grace = type.strategy.gracePeriodSeconds?.(current, options.gracePeriodSeconds) ?? 0;
      const unchanged = () => String(this.objects.store.rvOf(key)) === current.metadata.resourceVersion;
      const commitOrRetry = (next: KubeObject): KubeObject | undefined => {
        try {
          return this.objects.commit(type, key, next, current.metadata.resourceVersion);
        } catch (e) {
          if (!(e instanceof RetryableConflict) || attempt >= UPDATE_RETRIES) throw unwrapConflict(e, type, name);
          return undefined;
        }
      };
      if (current.metadata.deletionTimestamp) {
        // a graceful deletion is finished by a delete with gracePeriodSeconds=0 (the kubelet's)
        if (
          options.gracePeriodSeconds !== 0 ||
          ((current.metadata.finalizers ?? []).length > 0 && !current.metadata.deletionGracePeriodSeconds)
        ) {
          return { object: current, pending: true };
        }
        if ((current.metadata.finalizers ?? []).length > 0) {
          const next = structuredClone(current);
          next.metadata.deletionGracePeriodSeconds = 0;
          const committed = commitOrRetry(next);
          if (committed) return { object: committed, pending: true };
          continue;
        }
        if (!unchanged()) continue;
        return { object: this.objects.remove(type, key), pending: false };
      }
      if (finalizers.length > 0 || namespaceSpecFinalizers(type, current) || grace > 0) {
        const next = structuredClone(current);
        next.metadata.deletionTimestamp = nowSeconds(this.clock() + grace * 1000);
        next.metadata.deletionGracePeriodSeconds = grace;
        next.metadata.finalizers = finalizers;
        if (finalizers.length === 0) delete next.metadata.finalizers;
        if (type.tracksGeneration) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
        if (type.storageKey === NAMESPACES_KEY) next.status = { ...(next.status as JsonObject), phase: 'Terminating' };
        const committed = commitOrRetry(next);
        if (committed) return { object: committed, pending: true };
        continue;
      }
      if (!unchanged()) {
        if (attempt >= UPDATE_RETRIES) throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
        continue;
      }
      const removed = this.objects.remove(type, key);
      if (type.deleteReturnsObject) return { object: removed, pending: false };
      return {
        object: successStatus({ name, group: type.group, kind: type.plural, uid: current.metadata.uid }),
        pending: false,
      };
    }
  }

  async deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    listOpts: ListOptions,
    options: DeleteOptions,
    ctx: WriteContext,
  ): Promise<Status> {
    const { items } = this.list(type, namespace, {
      labelSelector: listOpts.labelSelector,
      fieldSelector: listOpts.fieldSelector,
    });
    for (const item of items) {
      try {
        await this.delete(type, item.metadata.namespace ?? '', item.metadata.name!, options, ctx);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return successStatus();
  }

  /** An update that removed the last finalizer of a deleting object completes the deletion. */
  finishIfReleased(type: ResourceType, key: StoreKey, obj: KubeObject): KubeObject {
    if (!obj.metadata.deletionTimestamp || (obj.metadata.finalizers ?? []).length > 0) return obj;
    if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return obj; // a graceful deletion still running
    if (namespaceSpecFinalizers(type, obj)) return obj;
    return this.objects.remove(type, key);
  }
}

function checkPreconditions(type: ResourceType, name: string, current: KubeObject, options: DeleteOptions): void {
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== current.metadata.uid) {
    throw conflict(
      { group: type.group, resource: type.plural, name },
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(
      { group: type.group, resource: type.plural, name },
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in ` +
        `object meta: ${current.metadata.resourceVersion}`,
    );
  }
}

/** A Namespace is held by spec.finalizers (the namespace controller's "kubernetes") as well. */
function namespaceSpecFinalizers(type: ResourceType, obj: KubeObject): boolean {
  if (type.storageKey !== NAMESPACES_KEY) return false;
  const finalizers = (obj.spec as JsonObject | undefined)?.finalizers;
  return Array.isArray(finalizers) && finalizers.length > 0;
}
