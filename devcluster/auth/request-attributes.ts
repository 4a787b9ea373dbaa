// What a request asks to do, in RBAC's terms (kube-apiserver's RequestInfo): the verb from the HTTP
// method and the path's shape, the group, resource, subresource, name and namespace, or a
// non-resource path. Pure.
import type { ApiPath } from '../api/request-path.ts';
import type { RequestAttributes } from './rbac.ts';

/** Streaming subresources that WebSocket clients open with GET but that RBAC checks as create. */
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

export function requestAttributes(
  method: string,
  path: string,
  parsed: ApiPath | undefined,
  query: URLSearchParams,
): RequestAttributes {
  const httpVerb = method.toLowerCase();
  if (parsed?.kind !== 'resource') return { kind: 'nonResource', verb: httpVerb, path };
  const name = parsed.name ?? '';
  const subresource = parsed.subresource ?? '';
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD': {
      const watching = parsed.watch || query.get('watch') === 'true' || query.get('watch') === '1';
      verb = watching ? 'watch' : name ? 'get' : 'list';
      if (CONNECT_SUBRESOURCES.has(subresource)) verb = 'create';
      break;
    }
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = httpVerb;
  }
  // a request about one namespace is a request in that namespace (so a RoleBinding can grant it)
  const namespace = parsed.group === '' && parsed.plural === 'namespaces' && name ? name : (parsed.namespace ?? '');
  return { kind: 'resource', verb, group: parsed.group, resource: parsed.plural, subresource, name, namespace };
}
