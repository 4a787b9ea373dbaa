// Typed errors for Kubernetes API calls. client-node throws ApiException with the Status as a JSON
// string in `.body`, or node-fetch errors for transport failures; controllers need to know which
// failures are worth a retry (conflicts, throttling, server and network errors) and which are not.

export interface StatusCause {
  type?: string;
  field?: string;
  message?: string;
}

/** An error answer from the API server (a `kind: Status` body). */
export class KubeApiError extends Error {
  readonly code: number;
  /** Status reason: NotFound, AlreadyExists, Conflict, Invalid, Expired, Forbidden, ... */
  readonly reason: string;
  readonly causes: StatusCause[];
  /** What was being done, e.g. "apply Deployment shop/orders". */
  readonly operation: string;

  constructor(operation: string, code: number, reason: string, message: string, causes: StatusCause[] = []) {
    super(`${operation}: ${message || reason || `HTTP ${code}`}`);
    this.name = 'KubeApiError';
    this.operation = operation;
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }

  /** Worth retrying with backoff: the same request may succeed later. */
  get temporary(): boolean {
    return this.code === 409 || this.code === 429 || this.code >= 500 || this.code === 0;
  }
}

/** The API server could not be reached (refused, reset, timed out). Always temporary. */
export class KubeUnavailableError extends Error {
  readonly operation: string;
  readonly temporary = true;
  constructor(operation: string, cause: unknown) {
    super(`${operation}: API server unreachable (${(cause as Error)?.message ?? String(cause)})`);
    this.name = 'KubeUnavailableError';
    this.operation = operation;
  }
}

interface ApiExceptionLike {
  code: number;
  body: unknown;
  message?: string;
}

function isApiException(err: unknown): err is ApiExceptionLike {
  return typeof err === 'object' && err !== null && typeof (err as ApiExceptionLike).code === 'number' && 'body' in err;
}

function parseStatus(body: unknown): { reason?: string; message?: string; details?: { causes?: StatusCause[] } } {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as ReturnType<typeof parseStatus>;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return (body && typeof body === 'object' ? body : {}) as ReturnType<typeof parseStatus>;
}

/** Converts whatever client-node threw into a KubeApiError or KubeUnavailableError. */
export function toKubeError(operation: string, err: unknown): KubeApiError | KubeUnavailableError | Error {
  if (err instanceof KubeApiError || err instanceof KubeUnavailableError) return err;
  if (isApiException(err)) {
    const status = parseStatus(err.body);
    return new KubeApiError(
      operation,
      err.code,
      status.reason ?? '',
      status.message ?? '',
      status.details?.causes ?? [],
    );
  }
  const e = err as { name?: string; code?: string; type?: string; message?: string };
  // KubernetesObjectApi's discovery: the group is served but not this kind (its CRD is missing).
  if (e?.message?.startsWith('Unrecognized API version and kind'))
    return new KubeApiError(operation, 404, 'NotFound', e.message);
  if (
    e?.name === 'FetchError' ||
    e?.type === 'system' ||
    /ECONN|EPIPE|ETIMEDOUT|socket hang up/.test(`${e?.code ?? ''} ${e?.message ?? ''}`)
  ) {
    return new KubeUnavailableError(operation, err);
  }
  return err instanceof Error ? err : new Error(`${operation}: ${String(err)}`);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason !== 'AlreadyExists';
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
/** True for failures a retry may fix; false for ones that need a change (invalid, forbidden). */
export function isTemporary(err: unknown): boolean {
  return (err as { temporary?: boolean })?.temporary === true;
}
