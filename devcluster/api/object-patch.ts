// PATCH in its four flavours: JSON patch, merge patch and strategic merge patch compute the new
// object from the current one and go through the update path; server-side apply merges the applied
// configuration by field ownership (managedFields), creating the object when it does not exist.
// A write that lost a race with another is retried on the fresh object, as kube-apiserver does.
import { describeConflicts, serverSideApply, type OwnershipContext } from '../logic/managed-fields.ts';
import { applyJsonPatch, PatchError } from '../logic/patch/json-patch.ts';
import { applyMergePatch } from '../logic/patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../logic/patch/strategic-merge.ts';
import { isObject } from '../logic/schema.ts';
import type { KubeObject, ManagedFieldsEntry } from '../resources/object-meta.ts';
import { apiVersionOf, type ResourceType } from '../resources/resource-type.ts';
import { ApiError, badRequest, conflict, invalid, notFound, STALE_OBJECT, unsupportedMediaType } from './errors.ts';
import type { PatchOptions, PatchType, WriteContext } from './object-api-types.ts';
import { RetryableConflict, type StoredObjects, UPDATE_RETRIES } from './stored-objects.ts';
import { checkIdentity, decodeBody, decodeFields } from './write-checks.ts';

/** The write path a patch ends in: ObjectApi's create and replace. */
export interface PatchWrites {
  create(
    type: ResourceType,
    namespace: string,
    body: unknown,
    ctx: WriteContext,
    presetManagedFields?: ManagedFieldsEntry[],
  ): Promise<KubeObject>;
  replace(
    type: ResourceType,
    current: KubeObject,
    body: KubeObject,
    ctx: WriteContext,
    subresource: string,
    presetManagedFields: ManagedFieldsEntry[] | undefined,
    hasPrecondition: boolean,
  ): Promise<KubeObject>;
  ownership(type: ResourceType, ctx: WriteContext, subresource: string, now: number): OwnershipContext;
}

const RETRY = Symbol('retry');

export class ObjectPatching {
  constructor(
    private readonly objects: StoredObjects,
    private readonly writes: PatchWrites,
    private readonly clock: () => number,
  ) {}

  async patch(
    type: ResourceType,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    ctx: WriteContext,
    opts: PatchOptions = {},
  ): Promise<KubeObject> {
    const subresource = opts.subresource ?? '';
    if (patchType === 'strategic' && !type.builtin) {
      throw unsupportedMediaType(
        'application/strategic-merge-patch+json (custom resources take json-patch, merge-patch or apply-patch)',
      );
    }
    for (let attempt = 0; ; attempt++) {
      const current = this.objects.read(type, namespace, name);
      if (patchType === 'apply') {
        const result = await this.apply(type, namespace, name, current, patch, ctx, subresource, opts.force === true);
        if (result !== RETRY) return result;
      } else {
        if (!current) throw notFound({ group: type.group, resource: type.plural, name });
        const patched = decodeBody(type, patchDocument(type, current, patchType, patch), 'update');
        checkIdentity(type, namespace, name, patched, true);
        const precondition = patched.metadata.resourceVersion !== current.metadata.resourceVersion;
        if (precondition) throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
        try {
          return await this.writes.replace(type, current, patched, ctx, subresource, undefined, false);
        } catch (e) {
          if (!(e instanceof RetryableConflict)) throw e;
        }
      }
      if (attempt >= UPDATE_RETRIES) throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
    }
  }

  private async apply(
    type: ResourceType,
    namespace: string,
    name: string,
    current: KubeObject | undefined,
    patch: unknown,
    ctx: WriteContext,
    subresource: string,
    force: boolean,
  ): Promise<KubeObject | typeof RETRY> {
    if (!ctx.fieldManager) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [
        { type: 'FieldValueRequired', field: 'fieldManager', detail: 'Required value: is required for apply patch' },
      ]);
    }
    if (!isObject(patch)) throw badRequest('the applied configuration must be a YAML or JSON object');
    const applied = patch as KubeObject;
    if (!applied.apiVersion || !applied.kind)
      throw badRequest(
        `invalid object type: ${applied.apiVersion ?? ''}, Kind=${applied.kind ?? ''}: apiVersion and kind ` +
          `must be set in an applied configuration`,
      );
    if (applied.apiVersion !== apiVersionOf(type) || applied.kind !== type.kind) {
      throw badRequest(
        `the applied configuration is a ${applied.kind} of ${applied.apiVersion}, but this endpoint serves ` +
          `${type.kind} of ${apiVersionOf(type)}`,
      );
    }
    if (!isObject(applied.metadata)) applied.metadata = {};
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const precondition = applied.metadata.resourceVersion;
    if (current && precondition && precondition !== current.metadata.resourceVersion)
      throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
    const ownership = this.writes.ownership(type, ctx, subresource, this.clock());
    // prune against the schema first, so unknown fields never become owned; defaults are filled in
    // after the merge (by replace/create), so they are owned by no one
    const cleaned = structuredClone(applied);
    decodeFields(type, cleaned, ctx, false);
    const result = serverSideApply(current, cleaned, force, ownership);
    if (result.conflicts.length) {
      const { message, causes } = describeConflicts(result.conflicts);
      throw new ApiError(409, 'Conflict', message, { name, group: type.group, kind: type.plural, causes });
    }
    const merged = result.object as KubeObject;
    const managed = merged.metadata.managedFields as ManagedFieldsEntry[];
    if (!current) {
      if (subresource) throw notFound({ group: type.group, resource: type.plural, name });
      merged.metadata.name = name;
      try {
        return await this.writes.create(type, namespace, merged, ctx, managed);
      } catch (e) {
        if (e instanceof ApiError && e.status.reason === 'AlreadyExists') return RETRY;
        throw e;
      }
    }
    try {
      return await this.writes.replace(type, current, merged, ctx, subresource, managed, Boolean(precondition));
    } catch (e) {
      if (e instanceof RetryableConflict) return RETRY;
      throw e;
    }
  }
}

/** The object a JSON, merge or strategic merge patch makes of `current`; a bad patch is a 422. */
function patchDocument(type: ResourceType, current: KubeObject, patchType: PatchType, patch: unknown): KubeObject {
  try {
    let out: unknown;
    if (patchType === 'json') out = applyJsonPatch(current, patch);
    else if (patchType === 'merge') out = applyMergePatch(current, patch);
    else out = applyStrategicMergePatch(current, patch, type.schema);
    if (!isObject(out)) throw new PatchError('the patch must leave an object');
    return out as unknown as KubeObject;
  } catch (e) {
    if (e instanceof PatchError)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${e.message}`,
      );
    throw e;
  }
}
