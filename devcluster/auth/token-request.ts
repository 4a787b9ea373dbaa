// serviceaccounts/token (TokenRequest, `kubectl create token`): a bound token for an existing
// ServiceAccount, with kube-apiserver's defaults and limits (1 h by default, at least 10 min) and an
// optional binding to a Pod or Secret, whose deletion revokes the token.
import {
  ApiError,
  badRequest,
  fieldInvalid,
  fieldNotSupported,
  invalid,
  notFound,
  type FieldError,
} from '../api/errors.ts';
import type { ObjectApi } from '../api/object-api.ts';
import { isObject } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import { API_AUDIENCE, type BoundObject, type ServiceAccountTokens } from './service-account-tokens.ts';

const DEFAULT_EXPIRATION = 3600;
const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export async function createTokenRequest(
  api: ObjectApi,
  catalog: ResourceCatalog,
  tokens: ServiceAccountTokens,
  namespace: string,
  name: string,
  body: unknown,
  now = Date.now(),
): Promise<KubeObject> {
  if (body !== undefined && !isObject(body)) throw badRequest('the request body must be a TokenRequest object');
  const request = (body ?? {}) as KubeObject;
  if (request.kind !== undefined && request.kind !== 'TokenRequest')
    throw badRequest(`the kind in the data (${String(request.kind)}) does not match the expected kind (TokenRequest)`);
  const sa = api.tryGet(catalog.lookup('', 'v1', 'serviceaccounts')!, namespace, name);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts', name });
  const spec = (isObject(request.spec) ? request.spec : {}) as TokenRequestSpec;
  const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION;
  const errors: FieldError[] = [];
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION)
    errors.push(
      fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'),
    );
  else if (expirationSeconds > MAX_EXPIRATION)
    errors.push(
      fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'),
    );
  let boundObject: BoundObject | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret')
      errors.push(fieldNotSupported('spec.boundObjectRef.kind', ref.kind ?? '', ['Pod', 'Secret']));
    else {
      const obj = api.tryGet(
        catalog.lookup('', 'v1', ref.kind === 'Pod' ? 'pods' : 'secrets')!,
        namespace,
        ref.name ?? '',
      );
      if (!obj) throw notFound({ group: '', resource: ref.kind === 'Pod' ? 'pods' : 'secrets', name: ref.name ?? '' });
      if (ref.uid && ref.uid !== obj.metadata.uid)
        throw new ApiError(
          409,
          'Conflict',
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object ` +
            `might have been deleted and then recreated`,
        );
      boundObject = { kind: ref.kind, name: obj.metadata.name!, uid: obj.metadata.uid! };
    }
  }
  if (errors.length) throw invalid('TokenRequest', 'authentication.k8s.io', name, errors);
  const audiences = spec.audiences?.length ? spec.audiences : [API_AUDIENCE];
  const { token, expiresAt } = await tokens.issueBound(
    { namespace, serviceAccount: { name, uid: sa.metadata.uid! }, audiences, expirationSeconds, boundObject },
    now,
  );
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: nowSeconds(now) },
    spec: {
      audiences,
      expirationSeconds,
      boundObjectRef: ref ? { ...ref, uid: boundObject?.uid } : null,
    },
    status: { token, expirationTimestamp: nowSeconds(expiresAt) },
  };
}
