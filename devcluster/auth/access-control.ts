// The door every API request passes (kube-apiserver's authentication, impersonation and
// authorization filters, in that order): who is asking (401 when no one), whom they act as
// (`kubectl --as/--as-group`, each identity checked against the `impersonate` verb), and whether RBAC
// lets that user do what the request asks (403 with kube's exact Status otherwise).
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../admission/admission.ts';
import { ApiError, badRequest, unauthorized } from '../api/errors.ts';
import type { ApiPath } from '../api/request-path.ts';
import type { Authenticator } from './authenticator.ts';
import { serviceAccountUser } from './authenticator.ts';
import { forbiddenMessage, type Decision, type RequestAttributes } from './rbac.ts';
import type { RbacCache } from './rbac-cache.ts';
import { requestAttributes } from './request-attributes.ts';

const SA_PREFIX = 'system:serviceaccount:';

/** kube's 403: `<resource>.<group> "<name>" is forbidden: <why>` (just `forbidden: <why>` for paths). */
export function forbiddenError(attrs: RequestAttributes, why: string): ApiError {
  if (attrs.kind === 'nonResource') return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const what = attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource;
  const name = attrs.name ? ` "${attrs.name}"` : '';
  return new ApiError(403, 'Forbidden', `${what}${name} is forbidden: ${why}`, {
    name: attrs.name || undefined,
    group: attrs.group,
    kind: attrs.resource,
  });
}

export class AccessControl {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly rbac: RbacCache,
  ) {}

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    return this.rbac.policy().authorize(user, attrs);
  }

  /** The user a request acts as, once allowed; throws 401 or 403 otherwise. */
  async check(
    req: IncomingMessage,
    path: string,
    parsed: ApiPath | undefined,
    query: URLSearchParams,
  ): Promise<UserInfo> {
    const requester = await this.authenticator.authenticate(req.headers.authorization);
    if (!requester) throw unauthorized();
    const user = this.impersonate(requester, req);
    const attrs = requestAttributes(req.method ?? 'GET', path, parsed, query);
    if (!this.authorize(user, attrs).allowed) throw forbiddenError(attrs, forbiddenMessage(user, attrs));
    return user;
  }

  /** Impersonate-User/-Group/-Uid/-Extra-*: each requested identity needs `impersonate` on it. */
  private impersonate(requester: UserInfo, req: IncomingMessage): UserInfo {
    const headers = req.headersDistinct;
    const username = headers['impersonate-user']?.[0];
    const groups = headers['impersonate-group'] ?? [];
    const uid = headers['impersonate-uid']?.[0];
    const extra: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(headers)) {
      if (name.startsWith('impersonate-extra-') && values)
        extra[decodeURIComponent(name.slice('impersonate-extra-'.length))] = values;
    }
    if (username === undefined) {
      if (groups.length || uid !== undefined || Object.keys(extra).length)
        throw badRequest(
          'impersonating groups, a uid or extra fields requires impersonating a user (Impersonate-User)',
        );
      return requester;
    }
    const check = (attrs: RequestAttributes) => {
      if (!this.authorize(requester, attrs).allowed) throw forbiddenError(attrs, forbiddenMessage(requester, attrs));
    };
    const resource = (group: string, resourceName: string, name: string, namespace = '', subresource = '') => ({
      kind: 'resource' as const,
      verb: 'impersonate',
      group,
      resource: resourceName,
      subresource,
      name,
      namespace,
    });
    let user: UserInfo;
    if (username.startsWith(SA_PREFIX)) {
      const [namespace = '', name = ''] = username.slice(SA_PREFIX.length).split(':');
      check(resource('', 'serviceaccounts', name, namespace));
      user = groups.length ? { username, groups: [...groups] } : serviceAccountUser(namespace, name);
    } else {
      check(resource('', 'users', username));
      user = { username, groups: [...groups] };
    }
    for (const g of groups) check(resource('', 'groups', g));
    if (uid !== undefined) {
      check(resource('authentication.k8s.io', 'uids', uid));
      user.uid = uid;
    }
    for (const [key, values] of Object.entries(extra)) {
      for (const v of values) check(resource('authentication.k8s.io', 'userextras', v, '', key));
    }
    if (Object.keys(extra).length) user.extra = extra;
    if (username !== 'system:anonymous' && !user.groups.includes('system:authenticated'))
      user.groups.push('system:authenticated');
    return user;
  }
}
