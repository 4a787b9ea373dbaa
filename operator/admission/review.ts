// AdmissionReview v1 in and out, pure: the request checked field by field (a bad body gets a 400
// that says what is wrong), the response built with the request's uid.
import type { AdmissionRequestFacts } from './decide.ts';

export class ReviewError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedReview extends AdmissionRequestFacts {
  uid: string;
  resource: { group: string; version: string; resource: string };
  dryRun: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseReview(raw: string): ParsedReview {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ReviewError(400, 'the body is not JSON: expected an admission.k8s.io/v1 AdmissionReview');
  }
  if (!isObject(body)) throw new ReviewError(400, 'the body must be a JSON object (an AdmissionReview)');
  if (body.apiVersion !== 'admission.k8s.io/v1')
    throw new ReviewError(
      400,
      `apiVersion is ${JSON.stringify(body.apiVersion ?? null)}: this webhook speaks admission.k8s.io/v1 only ` +
        `(admissionReviewVersions: [v1])`,
    );
  if (body.kind !== 'AdmissionReview')
    throw new ReviewError(400, `kind is ${JSON.stringify(body.kind ?? null)}, expected AdmissionReview`);
  const r = body.request;
  if (!isObject(r)) throw new ReviewError(400, 'request is missing or not an object');
  if (typeof r.uid !== 'string' || !r.uid) throw new ReviewError(400, 'request.uid must be a non-empty string');
  if (typeof r.operation !== 'string') throw new ReviewError(400, 'request.operation must be a string');
  const resource = isObject(r.resource) ? r.resource : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  for (const k of ['object', 'oldObject'] as const)
    if (r[k] !== undefined && r[k] !== null && !isObject(r[k]))
      throw new ReviewError(400, `request.${k} must be an object or null`);
  return {
    uid: r.uid,
    operation: r.operation,
    subResource: str(r.subResource),
    namespace: str(r.namespace),
    name: str(r.name) || str((isObject(r.object) && isObject(r.object.metadata) ? r.object.metadata : {}).name),
    object: (r.object as Record<string, unknown> | null | undefined) ?? null,
    oldObject: (r.oldObject as Record<string, unknown> | null | undefined) ?? null,
    resource: { group: str(resource.group), version: str(resource.version), resource: str(resource.resource) },
    dryRun: r.dryRun === true,
  };
}

/** Kubernetes prints each warning on one line; keep them short and single-line. */
function cleanWarning(w: string): string {
  const one = w.replace(/\s+/g, ' ').trim();
  return one.length > 250 ? `${one.slice(0, 247)}...` : one;
}

export function reviewResponse(
  uid: string,
  answer: {
    allowed: boolean;
    code?: number;
    reason?: string;
    message?: string;
    warnings?: string[];
    patch?: unknown[];
  },
): string {
  const response: Record<string, unknown> = { uid, allowed: answer.allowed };
  if (!answer.allowed)
    response.status = { code: answer.code ?? 403, reason: answer.reason ?? 'Forbidden', message: answer.message ?? '' };
  if (answer.warnings?.length) response.warnings = answer.warnings.map(cleanWarning);
  if (answer.patch?.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(answer.patch)).toString('base64');
  }
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
}
