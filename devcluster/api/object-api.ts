// ObjectApi: Kubernetes semantics over the store, independent of HTTP. The REST handlers and the
// in-process controllers (garbage collector, namespace lifecycle, node agent) all go through it, so
// every write gets the same decoding, defaulting, validation, admission, resourceVersion checks,
// managedFields and watch events.
import { randomUUID } from 'node:crypto';
import {
  allowAll,
  type Admission,
  type AdmissionAttributes,
  type Operation,
  type UserInfo,
} from '../admission/admission.ts';
import { describeConflicts, recordUpdate, serverSideApply, type OwnershipContext } from '../logic/managed-fields.ts';
import { generateNameFrom, isNoOp, normaliseMeta, specChanged, validateObjectMeta } from '../logic/object-rules.ts';
import { applyJsonPatch, PatchError } from '../logic/patch/json-patch.ts';
import { applyMergePatch } from '../logic/patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../logic/patch/strategic-merge.ts';
import { applyDefaults, isObject, prune, validateValue, type JsonObject } from '../logic/schema.ts';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  pinnedName,
  type FieldSelector,
  type LabelSelector,
} from '../logic/selectors.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject, type ManagedFieldsEntry } from '../resources/object-meta.ts';
import { apiVersionOf, type ResourceType, type StrategyContext } from '../resources/resource-type.ts';
import type { SqliteStore, StoreEntry, StoreKey, StoredObject } from '../storage/sqlite-store.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  successStatus,
  unsupportedMediaType,
  STALE_OBJECT,
  type FieldError,
  type Status,
} from './errors.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Who is writing and how; `warnings` collects what the response should carry as Warning headers. */
export interface WriteContext {
  user: UserInfo;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  warnings: string[];
}

export function systemContext(component: string): WriteContext {
  return {
    user: {
      username: `system:serviceaccount:kube-system:${component}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
    },
    fieldManager: component,
    warnings: [],
  };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  /** Shared with the store and deep-frozen: read them, never modify them. */
  items: KubeObject[];
  /** Each item serialised as a list item (built-ins without kind/apiVersion), reusing stored JSON. */
  itemsJson(): string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** WatchList: initial ADDED events then a BOOKMARK marked k8s.io/initial-events-end. */
  sendInitialEvents?: boolean;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
  /** The committed change behind the event (absent for synthetic initial events and bookmarks). */
  change?: Change;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  /** ["All"] asks for a dry run, like the dryRun query parameter. */
  dryRun?: string[];
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions {
  subresource?: string;
  force?: boolean;
}

/** The first free ClusterIP in k3s's default service CIDR, 10.43.0.0/16. */
function allocateClusterIP(inUse: Set<string>): string {
  for (let i = 1; i < 65_534; i++) {
    const ip = `10.43.${Math.floor(i / 256)}.${i % 256}`;
    if (i % 256 !== 0 && i % 256 !== 255 && !inUse.has(ip)) return ip;
  }
  throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
}

const UPDATE_RETRIES = 8;
const NAMESPACES_KEY = '/namespaces';

export class ObjectApi {
  constructor(
    private readonly store: SqliteStore,
    private readonly cache: WatchCache,
    readonly catalog: ResourceCatalog,
    private readonly admission: Admission = allowAll,
    private readonly clock: () => number = Date.now,
  ) {}

  // ------------------------------------------------------------------------------------------
  // reads

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const found = this.read(type, namespace, name);
    if (!found) throw notFound({ group: type.group, resource: type.plural, name });
    return found;
  }

  /** Like get, but undefined instead of 404. */
  tryGet(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.read(type, namespace, name);
  }

  currentResourceVersion(): string {
    return String(this.store.currentRv());
  }

  list(type: ResourceType, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = this.parseFields(type, opts.fieldSelector);
    const token = opts.continue ? decodeContinue(opts.continue) : undefined;
    const rv = token?.rv ?? this.store.currentRv();
    const name = pinnedName(fields);
    let entries: StoreEntry[];
    if (name !== undefined && namespace !== undefined) {
      const one = this.store.entry(this.key(type, namespace, name));
      entries = one ? [one] : [];
    } else {
      entries = this.store.entries(type.storageKey, type.namespaced ? namespace : undefined);
    }
    const matching: Array<{ obj: KubeObject; entry: StoreEntry }> = [];
    for (const entry of entries) {
      const obj = this.fromStorage(type, entry.object);
      if (token && keyOf(obj) <= token.after) continue;
      if (this.matches(type, obj, labels, fields)) matching.push({ obj, entry });
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const page = limit === undefined ? matching : matching.slice(0, limit);
    const result: ListResult = {
      items: page.map((m) => m.obj),
      itemsJson: () => page.map((m) => this.itemJson(type, m.entry, m.obj)),
      resourceVersion: String(rv),
    };
    if (limit !== undefined && matching.length > limit) {
      result.continue = encodeContinue({ rv, after: keyOf(page[page.length - 1]!.obj) });
      result.remainingItemCount = matching.length - limit;
    }
    return result;
  }

  /** A list item's JSON: the stored text when the item needs no conversion, cached per version. */
  private itemJson(type: ResourceType, entry: StoreEntry, obj: KubeObject): string {
    if (type.fromStorage) return JSON.stringify(type.builtin ? withoutTypeMeta(obj) : obj);
    if (!type.builtin) return entry.json;
    let json = listItemJson.get(entry);
    if (json === undefined) listItemJson.set(entry, (json = JSON.stringify(withoutTypeMeta(obj))));
    return json;
  }

  /**
   * Streams changes to `sink` until the returned function is called. Without a resourceVersion (or
   * "0") the current matching objects come first as ADDED events. Throws 410 for a too-old one.
   */
  watch(
    type: ResourceType,
    namespace: string | undefined,
    opts: WatchOptions,
    sink: (event: WatchEvent) => void,
  ): () => void {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = this.parseFields(type, opts.fieldSelector);
    const ns = type.namespaced ? namespace : undefined;
    const matches = (o: StoredObject['object'] | undefined): KubeObject | undefined => {
      if (!o) return undefined;
      const obj = this.fromStorage(type, o);
      return this.matches(type, obj, labels, fields) ? obj : undefined;
    };
    const deliver = (change: Change) => {
      const now = matches(change.object);
      const before = change.type === 'ADDED' ? undefined : matches(change.oldObject ?? change.object);
      if (change.type === 'DELETED') {
        if (before) sink({ type: 'DELETED', object: now ?? before, change });
        return;
      }
      if (now && before) sink({ type: 'MODIFIED', object: now, change });
      else if (now) sink({ type: 'ADDED', object: now, change });
      else if (before) sink({ type: 'DELETED', object: this.fromStorage(type, change.object), change });
    };
    const rvParam = opts.resourceVersion;
    const initial = opts.sendInitialEvents === true || rvParam === undefined || rvParam === '' || rvParam === '0';
    if (initial) {
      for (const e of this.store.entries(type.storageKey, ns)) {
        const obj = matches(e.object as StoredObject['object']);
        if (obj) sink({ type: 'ADDED', object: obj });
      }
      const unsubscribe = this.cache.subscribe({ storageKey: type.storageKey, namespace: ns, deliver });
      if (opts.sendInitialEvents) {
        sink({ type: 'BOOKMARK', object: this.bookmark(type, { 'k8s.io/initial-events-end': 'true' }) });
      }
      return unsubscribe;
    }
    if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`);
    return this.cache.subscribe({ storageKey: type.storageKey, namespace: ns, deliver }, Number(rvParam));
  }

  /** A BOOKMARK event's object: only kind, apiVersion and the current resourceVersion. */
  bookmark(type: ResourceType, annotations?: Record<string, string>): KubeObject {
    return {
      kind: type.kind,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: this.currentResourceVersion(), ...(annotations ? { annotations } : {}) },
    };
  }

  // ------------------------------------------------------------------------------------------
  // writes

  async create(
    type: ResourceType,
    namespace: string,
    body: unknown,
    ctx: WriteContext,
    presetManagedFields?: ManagedFieldsEntry[],
  ): Promise<KubeObject> {
    const obj = this.decodeBody(type, body, 'create');
    const ns = this.resolveNamespace(type, namespace, obj);
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = generateNameFrom(obj.metadata.generateName);
    const name = obj.metadata.name ?? '';
    this.decode(type, obj, ctx);
    for (const k of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
      'selfLink',
    ] as const)
      delete obj.metadata[k];
    if (type.statusSubresource) delete obj.status;
    const now = this.clock();
    type.strategy.prepareForCreate?.(obj, this.strategyContext(now));
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = nowSeconds(now);
    if (type.tracksGeneration) obj.metadata.generation = 1;
    if (type.namespaced) obj.metadata.namespace = ns;
    normaliseMeta(obj);
    obj.metadata.managedFields =
      presetManagedFields ?? recordUpdate([], undefined, obj, this.ownership(type, ctx, '', now));
    if (obj.metadata.managedFields.length === 0) delete obj.metadata.managedFields;
    if (type.namespaced) this.checkNamespaceOpen(type, ns, name);

    const admitted = await this.admit('CREATE', type, '', ns, name, obj, null, ctx);
    this.validate(type, admitted, undefined);
    await this.admission.validate(this.attributes('CREATE', type, '', ns, name, admitted, null, ctx), ctx.warnings);
    if (ctx.dryRun) return admitted;
    const key = this.key(type, ns, name);
    if (this.store.rvOf(key) !== undefined) throw alreadyExists({ group: type.group, resource: type.plural, name });
    return this.commit(type, key, admitted, undefined);
  }

  /** PUT of the main resource or of the status subresource. */
  async update(
    type: ResourceType,
    namespace: string,
    name: string,
    body: unknown,
    ctx: WriteContext,
    subresource = '',
  ): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const current = this.get(type, namespace, name);
      const obj = this.decodeBody(type, body, 'update');
      this.checkIdentity(type, namespace, name, obj);
      const precondition = obj.metadata.resourceVersion;
      if (precondition && precondition !== current.metadata.resourceVersion)
        throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
      if (!precondition && !type.builtin && subresource === '') {
        throw invalid(type.kind, type.group, name, [
          {
            type: 'FieldValueInvalid',
            field: 'metadata.resourceVersion',
            detail: 'Invalid value: 0x0: must be specified for an update',
          },
        ]);
      }
      try {
        return await this.replace(type, current, obj, ctx, subresource, undefined, Boolean(precondition));
      } catch (e) {
        if (!(e instanceof RetryableConflict) || attempt >= UPDATE_RETRIES) throw unwrapConflict(e, type, name);
      }
    }
  }

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
      const current = this.read(type, namespace, name);
      if (patchType === 'apply') {
        const result = await this.applyPatch(
          type,
          namespace,
          name,
          current,
          patch,
          ctx,
          subresource,
          opts.force === true,
        );
        if (result !== RETRY) return result;
      } else {
        if (!current) throw notFound({ group: type.group, resource: type.plural, name });
        const patched = this.applyPatchDocument(type, current, patchType, patch);
        const precondition = patched.metadata?.resourceVersion !== current.metadata.resourceVersion;
        if (precondition) throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
        try {
          return await this.replace(
            type,
            current,
            this.decodeBody(type, patched, 'update'),
            ctx,
            subresource,
            undefined,
            false,
          );
        } catch (e) {
          if (!(e instanceof RetryableConflict)) throw e;
        }
      }
      if (attempt >= UPDATE_RETRIES) throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
    }
  }

  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions,
    ctx: WriteContext,
  ): Promise<{ object: KubeObject | Status; pending: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const current = this.get(type, namespace, name);
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
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
      if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
        throw invalid('DeleteOptions', 'meta.k8s.io', '', [
          {
            type: 'FieldValueNotSupported',
            field: 'propagationPolicy',
            detail: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
          },
        ]);
      }
      await this.admission.validate(
        this.attributes('DELETE', type, '', namespace, name, null, current, ctx, {
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
      const blockedBySpec =
        type.storageKey === NAMESPACES_KEY &&
        ((current.spec as JsonObject | undefined)?.finalizers as unknown[] | undefined)?.length;
      if (ctx.dryRun) return { object: current, pending: finalizers.length > 0 };
      const key = this.key(type, namespace, name);
      const grace = type.strategy.gracePeriodSeconds?.(current, options.gracePeriodSeconds) ?? 0;
      const unchanged = () => String(this.store.rvOf(key)) === current.metadata.resourceVersion;
      const commitOrRetry = (next: KubeObject): KubeObject | undefined => {
        try {
          return this.commit(type, key, next, current.metadata.resourceVersion);
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
        return { object: this.remove(type, key), pending: false };
      }
      if (finalizers.length > 0 || blockedBySpec || grace > 0) {
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
      const removed = this.remove(type, key);
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

  // ------------------------------------------------------------------------------------------
  // write pipeline

  /** Replace `current` by `body` (main resource or status), run admission and commit. */
  private async replace(
    type: ResourceType,
    current: KubeObject,
    body: KubeObject,
    ctx: WriteContext,
    subresource: string,
    presetManagedFields: ManagedFieldsEntry[] | undefined,
    hasPrecondition: boolean,
  ): Promise<KubeObject> {
    const ns = current.metadata.namespace ?? '';
    const name = current.metadata.name!;
    const now = this.clock();
    let next: KubeObject;
    if (subresource === 'status') {
      this.decode(type, body, ctx);
      next = structuredClone(current);
      if (body.status === undefined) delete next.status;
      else next.status = body.status;
    } else if (subresource === 'finalize') {
      // namespaces/finalize: only spec.finalizers changes
      this.decode(type, body, ctx);
      next = structuredClone(current);
      next.spec = {
        ...(current.spec as JsonObject),
        finalizers: ((body.spec as JsonObject | undefined)?.finalizers ?? []) as string[],
      };
    } else {
      this.decode(type, body, ctx);
      next = body;
      next.apiVersion = apiVersionOf(type);
      next.kind = type.kind;
      const keep = [
        'uid',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'generation',
        'name',
        'namespace',
      ] as const;
      for (const k of keep) {
        if (current.metadata[k] === undefined) delete next.metadata[k];
        else (next.metadata as Record<string, unknown>)[k] = current.metadata[k];
      }
      if (type.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
      type.strategy.prepareForUpdate?.(next, current, this.strategyContext(now));
      if (type.tracksGeneration && specChanged(next, current, type))
        next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    normaliseMeta(next);
    next.metadata.managedFields =
      presetManagedFields ??
      recordUpdate(current.metadata.managedFields ?? [], current, next, this.ownership(type, ctx, subresource, now));
    if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;

    const admitted = await this.admit('UPDATE', type, subresource, ns, name, next, current, ctx);
    this.validate(type, admitted, current);
    await this.admission.validate(
      this.attributes('UPDATE', type, subresource, ns, name, admitted, current, ctx),
      ctx.warnings,
    );
    if (isNoOp(admitted, current)) return current;
    if (ctx.dryRun) return admitted;
    const key = this.key(type, ns, name);
    try {
      const committed = this.commit(type, key, admitted, current.metadata.resourceVersion);
      return this.finishDeletionIfReleased(type, key, committed);
    } catch (e) {
      if (e instanceof RetryableConflict && hasPrecondition)
        throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
      throw e;
    }
  }

  private async applyPatch(
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
        `invalid object type: ${applied.apiVersion ?? ''}, Kind=${applied.kind ?? ''}: apiVersion and kind must be set in an applied configuration`,
      );
    if (applied.apiVersion !== apiVersionOf(type) || applied.kind !== type.kind) {
      throw badRequest(
        `the applied configuration is a ${applied.kind} of ${applied.apiVersion}, but this endpoint serves ${type.kind} of ${apiVersionOf(type)}`,
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
    const now = this.clock();
    const ownership = this.ownership(type, ctx, subresource, now);
    // prune against the schema first, so unknown fields never become owned; defaults are filled in
    // after the merge (by replace/create), so they are owned by no one
    const cleaned = structuredClone(applied);
    this.decode(type, cleaned, ctx, false);
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
        return await this.create(type, namespace, merged, ctx, managed);
      } catch (e) {
        if (e instanceof ApiError && e.status.reason === 'AlreadyExists') return RETRY;
        throw e;
      }
    }
    try {
      return await this.replace(type, current, merged, ctx, subresource, managed, Boolean(precondition));
    } catch (e) {
      if (e instanceof RetryableConflict) return RETRY;
      throw e;
    }
  }

  private applyPatchDocument(
    type: ResourceType,
    current: KubeObject,
    patchType: PatchType,
    patch: unknown,
  ): KubeObject {
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

  /** Mutating admission; when a webhook changed the object, decode it again (prune + defaults). */
  private async admit(
    op: Operation,
    type: ResourceType,
    subresource: string,
    ns: string,
    name: string,
    obj: KubeObject,
    old: KubeObject | null,
    ctx: WriteContext,
  ): Promise<KubeObject> {
    const mutated = await this.admission.mutate(
      this.attributes(op, type, subresource, ns, name, obj, old, ctx),
      ctx.warnings,
    );
    if (!mutated || mutated === obj) return obj;
    this.decode(type, mutated, { ...ctx, fieldValidation: 'Ignore' });
    normaliseMeta(mutated);
    return mutated;
  }

  private attributes(
    operation: Operation,
    type: ResourceType,
    subresource: string,
    namespace: string,
    name: string,
    object: KubeObject | null,
    oldObject: KubeObject | null,
    ctx: WriteContext,
    options?: Record<string, unknown>,
  ): AdmissionAttributes {
    const optionKind =
      operation === 'CREATE' ? 'CreateOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
    return {
      operation,
      type,
      subresource,
      namespace,
      name,
      object,
      oldObject,
      dryRun: ctx.dryRun === true,
      user: ctx.user,
      options: options ?? {
        kind: optionKind,
        apiVersion: 'meta.k8s.io/v1',
        ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}),
      },
    };
  }

  /** Body checks every write shares: a JSON object of this kind. */
  private decodeBody(type: ResourceType, body: unknown, verb: 'create' | 'update'): KubeObject {
    if (!isObject(body)) throw badRequest(`the request body must be a JSON or YAML object describing a ${type.kind}`);
    const obj = structuredClone(body) as unknown as KubeObject;
    const expected = apiVersionOf(type);
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind}); send ${type.kind} objects to this URL`,
      );
    }
    if (obj.metadata !== undefined && !isObject(obj.metadata))
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: metadata must be an object`,
      );
    obj.apiVersion = expected;
    obj.kind = type.kind;
    obj.metadata ??= {};
    if (verb === 'create' && !obj.metadata.name && !obj.metadata.generateName) {
      throw invalid(type.kind, type.group, '', [
        {
          type: 'FieldValueRequired',
          field: 'metadata.name',
          detail: 'Required value: name or generateName is required',
        },
      ]);
    }
    return obj;
  }

  /**
   * Decoding as the apiserver's strict JSON decoder does: unknown fields are dropped (an error with
   * fieldValidation=Strict, a warning with Warn), type mismatches in built-ins are a 400, and
   * schema defaults are filled in.
   */
  private decode(
    type: ResourceType,
    obj: KubeObject,
    ctx: Pick<WriteContext, 'fieldValidation' | 'warnings'>,
    withDefaults = true,
  ): void {
    const unknown = prune(obj, type.schema, '');
    if (unknown.length) {
      const messages = unknown.map((p) => `unknown field ${JSON.stringify(p)}`);
      if (ctx.fieldValidation === 'Strict') {
        throw badRequest(
          `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${messages.join(', ')}`,
        );
      }
      if (ctx.fieldValidation === 'Warn') ctx.warnings.push(...messages);
    }
    if (type.builtin) {
      const typeErrors: FieldError[] = [];
      validateValue(obj, type.schema, '', { collectTypeErrors: typeErrors });
      if (typeErrors.length) {
        throw badRequest(
          `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${typeErrors.map((e) => `${e.field}: ${e.detail}`).join('; ')}`,
        );
      }
    }
    if (withDefaults) applyDefaults(obj, type.schema);
  }

  private validate(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const errors = [
      ...validateObjectMeta(obj, type, old),
      ...(type.builtin ? [] : validateValue(withoutMetadata(obj), type.schema, '')),
      ...(type.strategy.validate?.(obj, old) ?? []),
    ];
    if (old) {
      if (obj.metadata.name !== old.metadata.name)
        errors.push({ type: 'FieldValueInvalid', field: 'metadata.name', detail: 'Invalid value: field is immutable' });
    }
    if (errors.length) throw invalid(type.kind, type.group, obj.metadata.name ?? '', errors);
  }

  private checkIdentity(type: ResourceType, namespace: string, name: string, obj: KubeObject): void {
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }

  private resolveNamespace(type: ResourceType, namespace: string, obj: KubeObject): string {
    if (!type.namespaced) {
      delete obj.metadata.namespace;
      return '';
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return namespace;
  }

  /** The NamespaceLifecycle admission plugin: the namespace must exist and not be terminating. */
  private checkNamespaceOpen(type: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get({ storageKey: NAMESPACES_KEY, namespace: '', name: namespace });
    if (!ns) throw notFound({ group: '', resource: 'namespaces', name: namespace });
    if (ns.object.metadata.deletionTimestamp) {
      const e = forbidden(
        { group: type.group, resource: type.plural, name },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      e.status.details!.causes = [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ];
      throw e;
    }
  }

  /** Writes `obj` if the stored resourceVersion still equals `expectedRv` (undefined: must not exist). */
  private commit(type: ResourceType, key: StoreKey, obj: KubeObject, expectedRv: string | undefined): KubeObject {
    const storedRv = this.store.rvOf(key);
    if ((storedRv === undefined ? undefined : String(storedRv)) !== expectedRv) throw new RetryableConflict();
    const existing = storedRv === undefined ? undefined : this.store.get(key);
    const stored = this.toStorage(type, obj);
    this.store.put(key, stored);
    this.cache.publish({
      type: existing ? 'MODIFIED' : 'ADDED',
      rv: this.store.currentRv(),
      storageKey: key.storageKey,
      namespace: key.namespace,
      name: key.name,
      object: stored,
      oldObject: existing?.object,
    });
    return this.fromStorage(type, stored);
  }

  private remove(type: ResourceType, key: StoreKey): KubeObject {
    const existing = this.store.get(key)!;
    const rv = this.store.remove(key);
    const last = structuredClone(existing.object);
    last.metadata.resourceVersion = String(rv);
    this.cache.publish({
      type: 'DELETED',
      rv,
      storageKey: key.storageKey,
      namespace: key.namespace,
      name: key.name,
      object: last,
      oldObject: existing.object,
    });
    return this.fromStorage(type, last);
  }

  /** An update that removed the last finalizer of a deleting object completes the deletion. */
  private finishDeletionIfReleased(type: ResourceType, key: StoreKey, obj: KubeObject): KubeObject {
    if (!obj.metadata.deletionTimestamp || (obj.metadata.finalizers ?? []).length > 0) return obj;
    if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return obj; // a graceful deletion still running
    if (
      type.storageKey === NAMESPACES_KEY &&
      ((obj.spec as JsonObject | undefined)?.finalizers as unknown[] | undefined)?.length
    )
      return obj;
    return this.remove(type, key);
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private read(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const found = this.store.get(this.key(type, namespace, name));
    return found ? this.fromStorage(type, found.object) : undefined;
  }

  private key(type: ResourceType, namespace: string, name: string): StoreKey {
    return { storageKey: type.storageKey, namespace: type.namespaced ? namespace : '', name };
  }

  private fromStorage(type: ResourceType, stored: Readonly<StoredObject['object']>): KubeObject {
    const obj = stored as unknown as KubeObject;
    return type.fromStorage ? type.fromStorage(obj) : obj;
  }

  private toStorage(type: ResourceType, obj: KubeObject): StoredObject['object'] {
    return (type.toStorage ? type.toStorage(obj) : obj) as StoredObject['object'];
  }

  private parseFields(type: ResourceType, text: string | undefined): FieldSelector {
    const supported = [
      'metadata.name',
      ...(type.namespaced ? ['metadata.namespace'] : []),
      ...Object.keys(type.fieldSelectors),
    ];
    return parseFieldSelector(text, supported);
  }

  private matches(type: ResourceType, obj: KubeObject, labels: LabelSelector, fields: FieldSelector): boolean {
    if (!matchesLabels(labels, obj.metadata.labels)) return false;
    if (fields.length === 0) return true;
    return matchesFields(fields, (f) => {
      if (f === 'metadata.name') return obj.metadata.name ?? '';
      if (f === 'metadata.namespace') return obj.metadata.namespace ?? '';
      return type.fieldSelectors[f]!(obj);
    });
  }

  private ownership(type: ResourceType, ctx: WriteContext, subresource: string, now: number): OwnershipContext {
    return {
      manager: ctx.fieldManager ?? 'unknown',
      apiVersion: apiVersionOf(type),
      subresource: subresource || undefined,
      statusSubresource: type.statusSubresource,
      schema: type.schema,
      time: nowSeconds(now),
    };
  }

  private strategyContext(now: number): StrategyContext {
    return {
      now,
      allocateClusterIP: () => {
        // 10.43.0.1 is the kubernetes Service's, as in k3s
        const inUse = new Set<string>(['10.43.0.1']);
        for (const s of this.store.entries('/services')) {
          const ip = (s.object.spec as JsonObject | undefined)?.clusterIP;
          if (typeof ip === 'string') inUse.add(ip);
        }
        return allocateClusterIP(inUse);
      },
    };
  }
}

/** Internal: the object changed between read and commit; retried unless the client gave a precondition. */
class RetryableConflict extends Error {}

/** Built-in list items carry no kind/apiVersion (as kube-apiserver serves them). */
function withoutTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

const listItemJson = new WeakMap<StoreEntry, string>();

const RETRY = Symbol('retry');

function unwrapConflict(e: unknown, type: ResourceType, name: string): unknown {
  return e instanceof RetryableConflict
    ? conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT)
    : e;
}

function withoutMetadata(obj: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, ...rest } = obj;
  return rest;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

interface ContinueToken {
  rv: number;
  after: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.after })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, after: parsed.start };
  } catch {
    // fall through
  }
  throw badRequest(
    `invalid continue token ${JSON.stringify(text)}: pass the metadata.continue value of the previous page unchanged`,
  );
}
