// Kubernetes `Status` errors. Every failure the API server reports is an ApiError carrying the exact
// Status body kube-apiserver would send, so HTTP handlers only serialise it.

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'Timeout'
  | 'InternalError'
  | 'Expired'
  | 'ServiceUnavailable';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Identifies a resource in messages the way kube-apiserver does: `configmaps "x"` or `deployments.apps "x"`. */
export interface ResourceRef {
  group: string;
  resource: string;
  name?: string;
  kind?: string;
}

function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** Status details as Go serialises them: empty strings are omitted. */
function details(d: StatusDetails): StatusDetails {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined && v !== '')) as StatusDetails;
}

export class ApiError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, detail?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (detail) this.status.details = details(detail);
  }
  get code(): number {
    return this.status.code;
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const methodNotAllowed = (message: string): ApiError => new ApiError(405, 'MethodNotAllowed', message);
export const notAcceptable = (message: string): ApiError => new ApiError(406, 'NotAcceptable', message);
export const unsupportedMediaType = (contentType: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ` +
      `application/json-patch+json, application/merge-patch+json, ` +
      `application/apply-patch+yaml${contentType ? ` (got ${contentType})` : ''}`,
  );
export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
/** A resourceVersion the store has not reached yet (kube's storage.NewTooLargeResourceVersionError). */
export const tooLargeResourceVersion = (rv: string, current: string): ApiError =>
  new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
export const internalError = (message: string): ApiError =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);

export function notFound(ref: ResourceRef): ApiError {
  const what = qualifiedResource(ref.group, ref.resource);
  const message =
    ref.name === undefined ? `the server could not find the requested resource` : `${what} "${ref.name}" not found`;
  return new ApiError(404, 'NotFound', message, { name: ref.name, group: ref.group, kind: ref.resource });
}

/** A URL that matches no served resource (kubectl prints "the server could not find the requested resource"). */
export function noSuchPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(ref: ResourceRef & { name: string }): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(ref.group, ref.resource)} "${ref.name}" already exists`,
    {
      name: ref.name,
      group: ref.group,
      kind: ref.resource,
    },
  );
}

export function conflict(ref: ResourceRef & { name: string }, why: string, causes?: StatusCause[]): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref.group, ref.resource)} "${ref.name}": ${why}`,
    {
      name: ref.name,
      group: ref.group,
      kind: ref.resource,
      ...(causes ? { causes } : {}),
    },
  );
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

export function forbidden(ref: ResourceRef, why: string): ApiError {
  const what = qualifiedResource(ref.group, ref.resource);
  const name = ref.name ? ` "${ref.name}"` : '';
  return new ApiError(403, 'Forbidden', `${what}${name} is forbidden: ${why}`, {
    name: ref.name,
    group: ref.group,
    kind: ref.resource,
  });
}

/** 410 Gone with reason Expired, as sent for a watch or continue token older than the history window. */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** A field-level validation failure (one cause). Collect several with FieldErrors. */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueDuplicate'
    | 'FieldValueTypeInvalid'
    | 'FieldValueNotFound';
  field: string;
  /** The detail after "<field>: ", e.g. `Invalid value: "x": must be ...`. */
  detail: string;
}

export const fieldInvalid = (field: string, value: unknown, why: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  detail: `Invalid value: ${formatValue(value)}: ${why}`,
});
export const fieldRequired = (field: string, why = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail: why ? `Required value: ${why}` : 'Required value',
});
export const fieldNotSupported = (field: string, value: unknown, supported: unknown[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  detail:
    `Unsupported value: ${formatValue(value)}: supported values: ` +
    `${supported.map((v) => formatValue(v)).join(', ')}`,
});
export const fieldForbidden = (field: string, why: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  detail: `Forbidden: ${why}`,
});
export const fieldTooLong = (field: string, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field,
  detail: `Too long: may not be more than ${max} bytes`,
});
export const fieldTooMany = (field: string, count: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field,
  detail: `Too many: ${count}: must have at most ${max} items`,
});
export const fieldDuplicate = (field: string, value: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field,
  detail: `Duplicate value: ${formatValue(value)}`,
});
export const fieldTypeInvalid = (field: string, value: unknown, why: string): FieldError => ({
  type: 'FieldValueTypeInvalid',
  field,
  detail: `Invalid value: ${formatValue(value)}: ${why}`,
});

/** 422 Invalid: `<Kind>.<group> "<name>" is invalid: [a: ..., b: ...]` with one cause per field error. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const lines = errors.map((e) => `${e.field}: ${e.detail}`);
  const what = `${group ? `${kind}.${group}` : kind} "${name}" is invalid`;
  const message = `${what}: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', message, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? `[]interface {}{...}` : `map[string]interface {}{...}`;
  return String(value);
}

export function successStatus(details?: StatusDetails): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    code: 200,
    ...(details ? { details } : {}),
  } as Status;
}
