// What every write passes before it is committed: decoding the body as the apiserver's strict decoder
// does (kind, apiVersion, unknown fields, types, defaults), identity checks against the URL,
// validation, the NamespaceLifecycle check and admission (mutating, then validating).
import type { Admission, AdmissionAttributes, Operation } from '../admission/admission.ts';
import { normaliseMeta, validateObjectMeta } from '../logic/object-rules.ts';
import { applyDefaults, isObject, prune, validateValue } from '../logic/schema.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { apiVersionOf, type ResourceType } from '../resources/resource-type.ts';
import type { SqliteStore } from '../storage/sqlite-store.ts';
import { badRequest, forbidden, invalid, notFound, type FieldError } from './errors.ts';
import type { WriteContext } from './object-api-types.ts';
import { NAMESPACES_KEY } from './stored-objects.ts';

/** Body checks every write shares: a JSON object of this kind. Returns a private copy. */
export function decodeBody(type: ResourceType, body: unknown, verb: 'create' | 'update'): KubeObject {
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
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind}); send ` +
        `${type.kind} objects to this URL`,
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
export function decodeFields(
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
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding ` +
          `error: ${messages.join(', ')}`,
      );
    }
    if (ctx.fieldValidation === 'Warn') ctx.warnings.push(...messages);
  }
  if (type.builtin) {
    const typeErrors: FieldError[] = [];
    validateValue(obj, type.schema, '', { collectTypeErrors: typeErrors });
    if (typeErrors.length) {
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ` +
          `${typeErrors.map((e) => `${e.field}: ${e.detail}`).join('; ')}`,
      );
    }
  }
  if (withDefaults) applyDefaults(obj, type.schema);
}

export function validateWrite(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
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

/**
 * The body names the object on the URL. A PUT may leave the name out; a patch result may not (a JSON
 * patch that changes or removes metadata.name is refused, as kube-apiserver's checkName does).
 */
export function checkIdentity(
  type: ResourceType,
  namespace: string,
  name: string,
  obj: KubeObject,
  nameRequired = false,
): void {
  if ((nameRequired || obj.metadata.name !== undefined) && obj.metadata.name !== name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  }
  if (type.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** uid is immutable: a write whose body names another uid is refused, never silently corrected. */
export function checkUidUnchanged(type: ResourceType, obj: KubeObject, current: KubeObject): void {
  const uid = obj.metadata.uid;
  if (uid !== undefined && uid !== '' && uid !== current.metadata.uid) {
    throw invalid(type.kind, type.group, current.metadata.name ?? '', [
      {
        type: 'FieldValueInvalid',
        field: 'metadata.uid',
        detail: `Invalid value: ${JSON.stringify(uid)}: field is immutable`,
      },
    ]);
  }
}

/** The namespace a create writes to: the URL's; a different one in the body is refused. */
export function resolveNamespace(type: ResourceType, namespace: string, obj: KubeObject): string {
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
export function checkNamespaceOpen(store: SqliteStore, type: ResourceType, namespace: string, name: string): void {
  const ns = store.get({ storageKey: NAMESPACES_KEY, namespace: '', name: namespace });
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

/** Admission for one write: the webhooks (or any Admission) with the attributes ObjectApi knows. */
export class WriteAdmission {
  constructor(private readonly admission: Admission) {}

  /** Mutating admission; when a webhook changed the object, decode it again (prune + defaults). */
  async mutate(
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
      admissionAttributes(op, type, subresource, ns, name, obj, old, ctx),
      ctx.warnings,
    );
    if (!mutated || mutated === obj) return obj;
    decodeFields(type, mutated, { ...ctx, fieldValidation: 'Ignore' });
    normaliseMeta(mutated);
    return mutated;
  }

  validate(attrs: AdmissionAttributes, warnings: string[]): Promise<void> {
    return this.admission.validate(attrs, warnings);
  }
}

export function admissionAttributes(
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

function withoutMetadata(obj: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, ...rest } = obj;
  return rest;
}
