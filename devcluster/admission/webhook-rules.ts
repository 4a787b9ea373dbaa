// Pure parts of webhook admission: which webhooks a request matches (rules, scope, selectors), the
// AdmissionReview v1 sent to them, and how their answer becomes an allow, a patch or a Status error
// worded exactly as kube-apiserver words it.
import { randomUUID } from 'node:crypto';
import { ApiError, type StatusReason } from '../api/errors.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../logic/selectors.ts';
import { isObject } from '../logic/schema.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { AdmissionAttributes } from './admission.ts';

export interface WebhookRule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: '*' | 'Cluster' | 'Namespaced';
}

export interface Webhook {
  name: string;
  clientConfig: {
    url?: string;
    service?: { namespace: string; name: string; path?: string; port?: number };
    caBundle?: string;
  };
  rules?: WebhookRule[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  matchConditions?: unknown[];
}

const anyOf = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === '*' || x === value);

function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  const full = subresource ? `${resource}/${subresource}` : resource;
  return (patterns ?? []).some((p) => {
    if (p === '*/*') return true;
    if (p === '*') return subresource === '';
    if (p === full) return true;
    const [r, s] = p.split('/');
    if (s === undefined) return false;
    return (r === '*' || r === resource) && (s === '*' || s === subresource);
  });
}

function ruleMatches(rule: WebhookRule, attrs: AdmissionAttributes, matchPolicy: Webhook['matchPolicy']): boolean {
  const t = attrs.type;
  if (!anyOf(rule.operations, attrs.operation)) return false;
  if (!anyOf(rule.apiGroups, t.group)) return false;
  // Equivalent (the v1 default) also matches the same resource requested through another version
  if (matchPolicy === 'Exact' && !anyOf(rule.apiVersions, t.version)) return false;
  if (!resourceMatches(rule.resources, t.plural, attrs.subresource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && t.namespaced) return false;
  if (scope === 'Namespaced' && !t.namespaced) return false;
  return true;
}

/** Whether `webhook` applies to the request; `namespaceLabels` are the request namespace's labels. */
export function webhookMatches(
  webhook: Webhook,
  attrs: AdmissionAttributes,
  namespaceLabels: Record<string, string> | undefined,
): boolean {
  if (!(webhook.rules ?? []).some((r) => ruleMatches(r, attrs, webhook.matchPolicy ?? 'Equivalent'))) return false;
  const nsSelector = fromLabelSelectorObject(webhook.namespaceSelector);
  if (nsSelector.length) {
    // a Namespace is matched by its own labels; other cluster-scoped objects are never filtered out
    const labels =
      attrs.type.storageKey === '/namespaces'
        ? (attrs.object ?? attrs.oldObject)?.metadata.labels
        : attrs.type.namespaced
          ? namespaceLabels
          : undefined;
    if ((attrs.type.namespaced || attrs.type.storageKey === '/namespaces') && !matchesLabels(nsSelector, labels ?? {}))
      return false;
  }
  const objSelector = fromLabelSelectorObject(webhook.objectSelector);
  if (objSelector.length) {
    const candidates = [attrs.object, attrs.oldObject].filter((o): o is KubeObject => o !== null);
    if (!candidates.some((o) => matchesLabels(objSelector, o.metadata.labels ?? {}))) return false;
  }
  return true;
}

export function admissionReview(attrs: AdmissionAttributes): { uid: string; review: object } {
  const uid = randomUUID();
  const t = attrs.type;
  const kind = { group: t.group, version: t.version, kind: t.kind };
  const resource = { group: t.group, version: t.version, resource: t.plural };
  return {
    uid,
    review: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind,
        resource,
        requestKind: kind,
        requestResource: resource,
        ...(attrs.subresource ? { subResource: attrs.subresource, requestSubResource: attrs.subresource } : {}),
        name: attrs.name,
        ...(t.namespaced ? { namespace: attrs.namespace } : {}),
        operation: attrs.operation,
        userInfo: attrs.user,
        object: attrs.object,
        oldObject: attrs.oldObject,
        dryRun: attrs.dryRun,
        options: attrs.options,
      },
    },
  };
}

export interface WebhookAnswer {
  allowed: boolean;
  /** RFC 6902 operations, for mutating webhooks that patched. */
  patch?: unknown[];
  warnings: string[];
  status?: { code?: number; message?: string; reason?: string };
}

/** Validates the webhook's HTTP answer; throws (as a call failure) when it is not a usable AdmissionReview. */
export function interpretResponse(body: unknown, uid: string): WebhookAnswer {
  if (!isObject(body) || body.kind !== 'AdmissionReview' || !isObject(body.response)) {
    throw new Error('expected response.kind=AdmissionReview with a response object');
  }
  const response = body.response;
  if (response.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${String(response.uid)}"`);
  if (typeof response.allowed !== 'boolean') throw new Error('expected response.allowed to be true or false');
  const warnings = Array.isArray(response.warnings) ? response.warnings.map(String) : [];
  let patch: unknown[] | undefined;
  if (response.patch !== undefined && response.patch !== null) {
    if (response.patchType !== 'JSONPatch')
      throw new Error(`unsupported patchType "${String(response.patchType)}": only JSONPatch`);
    try {
      patch = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8'));
    } catch {
      throw new Error('response.patch is not base64-encoded JSON');
    }
    if (!Array.isArray(patch)) throw new Error('response.patch must be a JSON Patch array');
  }
  return {
    allowed: response.allowed,
    patch,
    warnings,
    status: isObject(response.status) ? (response.status as WebhookAnswer['status']) : undefined,
  };
}

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Gone',
  422: 'Invalid',
  429: 'BadRequest',
  500: 'InternalError',
};

/** kube-apiserver's ToStatusErr: the denial as the client sees it. */
export function denial(webhookName: string, status: WebhookAnswer['status']): ApiError {
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  let code = status?.code ?? 400;
  if (code < 400) code = 400;
  const message = status?.message
    ? `${deniedBy}: ${status.message}`
    : status?.reason
      ? `${deniedBy}: ${status.reason}`
      : `${deniedBy} without explanation`;
  const reason = (status?.reason as StatusReason | undefined) || REASONS[code] || 'BadRequest';
  const e = new ApiError(code, reason, message);
  if (!status?.reason) delete e.status.reason;
  return e;
}

export function callFailure(webhookName: string, url: string, err: Error): ApiError {
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: failed calling webhook "${webhookName}": failed to call webhook: Post "${url}": ` +
      `${err.message}`,
  );
}
