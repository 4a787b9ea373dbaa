// ObjectApi: Kubernetes semantics over the store, independent of HTTP. The REST handlers and the
// in-process controllers (garbage collector, namespace lifecycle, node agent) all go through it, so
// every write gets the same decoding, defaulting, validation, admission, resourceVersion checks,
// managedFields and watch events. Reads, list, watch, create and update live here; deletion
// (object-delete.ts), patch and apply (object-patch.ts) and the checks every write passes
// (write-checks.ts) are their own files.
import { randomUUID } from 'node:crypto';
import { allowAll, type Admission } from '../admission/admission.ts';
import { recordUpdate, type OwnershipContext } from '../logic/managed-fields.ts';
import { generateNameFrom, isNoOp, normaliseMeta, specChanged } from '../logic/object-rules.ts';
import type { JsonObject } from '../logic/schema.ts';
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
import type { SqliteStore, StoreEntry, StoredObject } from '../storage/sqlite-store.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  STALE_OBJECT,
  tooLargeResourceVersion,
  type Status,
} from './errors.ts';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  WriteContext,
} from './object-api-types.ts';
import { allocateClusterIP } from './cluster-ip.ts';
import { ObjectDeletion } from './object-delete.ts';
import { ObjectPatching } from './object-patch.ts';
import { RetryableConflict, StoredObjects, unwrapConflict, UPDATE_RETRIES } from './stored-objects.ts';
import {
  admissionAttributes,
  checkIdentity,
  checkNamespaceOpen,
  checkUidUnchanged,
  decodeBody,
  decodeFields,
  resolveNamespace,
  validateWrite,
  WriteAdmission,
} from './write-checks.ts';

export * from './object-api-types.ts';

export class ObjectApi {
  private readonly objects: StoredObjects;
  private readonly admission: WriteAdmission;
  private readonly deletion: ObjectDeletion;
  private readonly patching: ObjectPatching;

  constructor(
    private readonly store: SqliteStore,
    private readonly cache: WatchCache,
    readonly catalog: ResourceCatalog,
    admission: Admission = allowAll,
    private readonly clock: () => number = Date.now,
  ) {
    this.objects = new StoredObjects(store, cache);
    this.admission = new WriteAdmission(admission);
    this.deletion = new ObjectDeletion(this.objects, this.admission, clock, (t, ns, o) => this.list(t, ns, o));
    this.patching = new ObjectPatching(
      this.objects,
      {
        create: (...args) => this.create(...args),
        replace: (...args) => this.replace(...args),
        ownership: (...args) => this.ownership(...args),
      },
      clock,
    );
  }

  // ------------------------------------------------------------------------------------------
  // reads

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const found = this.objects.read(type, namespace, name);
    if (!found) throw notFound({ group: type.group, resource: type.plural, name });
    return found;
  }

  /** Like get, but undefined instead of 404. */
  tryGet(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.objects.read(type, namespace, name);
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
      const one = this.store.entry(this.objects.key(type, namespace, name));
      entries = one ? [one] : [];
    } else {
      entries = this.store.entries(type.storageKey, type.namespaced ? namespace : undefined);
    }
    const matching: Array<{ obj: KubeObject; entry: StoreEntry }> = [];
    for (const entry of entries) {
      const obj = this.objects.fromStorage(type, entry.object);
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
      const obj = this.objects.fromStorage(type, o);
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
      else if (before) sink({ type: 'DELETED', object: this.objects.fromStorage(type, change.object), change });
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
    // a watch from the future would wait silently for writes that may never come
    const current = this.currentResourceVersion();
    if (Number(rvParam) > Number(current)) throw tooLargeResourceVersion(rvParam, current);
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
    const obj = decodeBody(type, body, 'create');
    const ns = resolveNamespace(type, namespace, obj);
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = generateNameFrom(obj.metadata.generateName);
    const name = obj.metadata.name ?? '';
    decodeFields(type, obj, ctx);
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
    // the uid first: a strategy may derive from it (a Job's generated selector does)
    obj.metadata.uid = randomUUID();
    type.strategy.prepareForCreate?.(obj, this.strategyContext(now));
    obj.metadata.creationTimestamp = nowSeconds(now);
    if (type.tracksGeneration) obj.metadata.generation = 1;
    if (type.namespaced) obj.metadata.namespace = ns;
    normaliseMeta(obj);
    obj.metadata.managedFields =
      presetManagedFields ?? recordUpdate([], undefined, obj, this.ownership(type, ctx, '', now));
    if (obj.metadata.managedFields.length === 0) delete obj.metadata.managedFields;
    if (type.namespaced) checkNamespaceOpen(this.store, type, ns, name);

    const admitted = await this.admission.mutate('CREATE', type, '', ns, name, obj, null, ctx);
    validateWrite(type, admitted, undefined);
    await this.admission.validate(admissionAttributes('CREATE', type, '', ns, name, admitted, null, ctx), ctx.warnings);
    if (ctx.dryRun) return admitted;
    const key = this.objects.key(type, ns, name);
    if (this.store.rvOf(key) !== undefined) throw alreadyExists({ group: type.group, resource: type.plural, name });
    return this.objects.commit(type, key, admitted, undefined);
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
      const obj = decodeBody(type, body, 'update');
      checkIdentity(type, namespace, name, obj);
      if (obj.metadata.uid && obj.metadata.uid !== current.metadata.uid) {
        // the body's uid is a precondition of a PUT (kube's defaultUpdatedObjectInfo.Preconditions)
        throw conflict(
          { group: type.group, resource: type.plural, name },
          `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
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

  patch(
    type: ResourceType,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    ctx: WriteContext,
    opts: PatchOptions = {},
  ): Promise<KubeObject> {
    return this.patching.patch(type, namespace, name, patchType, patch, ctx, opts);
  }

  delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions,
    ctx: WriteContext,
  ): Promise<{ object: KubeObject | Status; pending: boolean }> {
    return this.deletion.delete(type, namespace, name, options, ctx);
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    listOpts: ListOptions,
    options: DeleteOptions,
    ctx: WriteContext,
  ): Promise<Status> {
    return this.deletion.deleteCollection(type, namespace, listOpts, options, ctx);
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
      decodeFields(type, body, ctx);
      next = structuredClone(current);
      if (body.status === undefined) delete next.status;
      else next.status = body.status;
    } else if (subresource === 'finalize') {
      // namespaces/finalize: only spec.finalizers changes
      decodeFields(type, body, ctx);
      next = structuredClone(current);
      next.spec = {
        ...(current.spec as JsonObject),
        finalizers: ((body.spec as JsonObject | undefined)?.finalizers ?? []) as string[],
      };
    } else {
      decodeFields(type, body, ctx);
      checkUidUnchanged(type, body, current);
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

    const admitted = await this.admission.mutate('UPDATE', type, subresource, ns, name, next, current, ctx);
    validateWrite(type, admitted, current);
    await this.admission.validate(
      admissionAttributes('UPDATE', type, subresource, ns, name, admitted, current, ctx),
      ctx.warnings,
    );
    if (isNoOp(admitted, current)) return current;
    if (ctx.dryRun) return admitted;
    const key = this.objects.key(type, ns, name);
    try {
      const committed = this.objects.commit(type, key, admitted, current.metadata.resourceVersion);
      return this.deletion.finishIfReleased(type, key, committed);
    } catch (e) {
      if (e instanceof RetryableConflict && hasPrecondition)
        throw conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT);
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

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
        // the range is the kubernetes Service's (cluster-ip.ts)
        let kubernetesIP: string | undefined;
        const inUse = new Set<string>();
        for (const s of this.store.entries('/services')) {
          const ip = (s.object.spec as JsonObject | undefined)?.clusterIP;
          if (typeof ip !== 'string') continue;
          inUse.add(ip);
          if (s.object.metadata.namespace === 'default' && s.object.metadata.name === 'kubernetes') kubernetesIP = ip;
        }
        return allocateClusterIP(kubernetesIP, inUse);
      },
      nodePortsInUse: (except) => {
        const inUse = new Set<number>();
        for (const s of this.store.entries('/services')) {
          if (except && s.object.metadata.uid === except) continue;
          for (const p of ((s.object.spec as JsonObject | undefined)?.ports ?? []) as JsonObject[])
            if (typeof p.nodePort === 'number') inUse.add(p.nodePort);
        }
        return inUse;
      },
    };
  }
}

/** Built-in list items carry no kind/apiVersion (as kube-apiserver serves them). */
function withoutTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

const listItemJson = new WeakMap<StoreEntry, string>();

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
