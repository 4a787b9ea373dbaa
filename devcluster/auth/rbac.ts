// RBAC as kube-apiserver's authorizer evaluates it, as a pure function of the RBAC objects: a
// snapshot (RbacPolicy) indexes bindings by subject, so a decision reads only the bindings of the
// user's own names and groups. Members of system:masters are allowed everything, as with
// kube-apiserver's privileged-group authorizer. Also: the rules a user holds in a namespace
// (SelfSubjectRulesReview) and the escalation check (a user may only grant what they hold).
import type { UserInfo } from '../admission/admission.ts';

export type { UserInfo };

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind: string;
  name: string;
}

export type RequestAttributes =
  | {
      kind: 'resource';
      verb: string;
      group: string;
      resource: string;
      subresource: string;
      name: string;
      namespace: string;
    }
  | { kind: 'nonResource'; verb: string; path: string };

export interface Decision {
  allowed: boolean;
  reason: string;
}

interface RbacObject {
  metadata: { name?: string; namespace?: string };
  rules?: unknown;
  subjects?: unknown;
  roleRef?: unknown;
}

export interface RbacObjects {
  roles: RbacObject[];
  clusterRoles: RbacObject[];
  roleBindings: RbacObject[];
  clusterRoleBindings: RbacObject[];
}

interface BindingEntry {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** The binding's namespace (RoleBindings only): where its rules apply. */
  namespace?: string;
  roleRef: RoleRef;
  subject: Subject;
}

export const MASTERS_GROUP = 'system:masters';
const SA_PREFIX = 'system:serviceaccount:';

function asRules(value: unknown): PolicyRule[] {
  return Array.isArray(value) ? (value.filter((r) => r && Array.isArray(r.verbs)) as PolicyRule[]) : [];
}

function subjectKey(kind: string, name: string, namespace = ''): string {
  return kind === 'ServiceAccount' ? `ServiceAccount\u0000${namespace}\u0000${name}` : `${kind}\u0000${name}`;
}

/** The subject keys a user is known by: their name, each group, and their ServiceAccount identity. */
function userKeys(user: UserInfo): string[] {
  const keys = [subjectKey('User', user.username), ...user.groups.map((g) => subjectKey('Group', g))];
  if (user.username.startsWith(SA_PREFIX)) {
    const [namespace, name] = user.username.slice(SA_PREFIX.length).split(':');
    if (namespace && name) keys.push(subjectKey('ServiceAccount', name, namespace));
  }
  return keys;
}

/** An immutable index of the RBAC objects at one moment. */
export class RbacPolicy {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly bySubject = new Map<string, BindingEntry[]>();

  constructor(objects: RbacObjects) {
    for (const r of objects.roles) this.roles.set(`${r.metadata.namespace}/${r.metadata.name}`, asRules(r.rules));
    for (const r of objects.clusterRoles) this.clusterRoles.set(String(r.metadata.name), asRules(r.rules));
    const add = (b: RbacObject, kind: BindingEntry['kind']) => {
      const roleRef = b.roleRef as RoleRef | undefined;
      if (!roleRef?.name || !Array.isArray(b.subjects)) return;
      for (const s of b.subjects as Subject[]) {
        if (!s?.name) continue;
        const namespace = kind === 'RoleBinding' ? b.metadata.namespace : undefined;
        const key = subjectKey(s.kind, s.name, s.kind === 'ServiceAccount' ? (s.namespace ?? namespace) : undefined);
        const list = this.bySubject.get(key) ?? [];
        list.push({ kind, name: String(b.metadata.name), namespace, roleRef, subject: s });
        this.bySubject.set(key, list);
      }
    };
    for (const b of objects.roleBindings) add(b, 'RoleBinding');
    for (const b of objects.clusterRoleBindings) add(b, 'ClusterRoleBinding');
  }

  private rulesOf(binding: BindingEntry): PolicyRule[] {
    if (binding.roleRef.kind === 'ClusterRole') return this.clusterRoles.get(binding.roleRef.name) ?? [];
    if (binding.roleRef.kind === 'Role' && binding.namespace)
      return this.roles.get(`${binding.namespace}/${binding.roleRef.name}`) ?? [];
    return [];
  }

  /** The bindings that apply to `user` in `namespace` ("" = cluster-wide only). */
  private bindingsFor(user: UserInfo, namespace: string): BindingEntry[] {
    const out: BindingEntry[] = [];
    for (const key of userKeys(user)) {
      for (const b of this.bySubject.get(key) ?? []) {
        if (b.kind === 'ClusterRoleBinding' || (namespace !== '' && b.namespace === namespace)) out.push(b);
      }
    }
    return out;
  }

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    if (user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: '' };
    const namespace = attrs.kind === 'resource' ? attrs.namespace : '';
    for (const b of this.bindingsFor(user, namespace)) {
      if (this.rulesOf(b).some((r) => ruleAllows(r, attrs))) {
        const who =
          b.subject.kind === 'ServiceAccount'
            ? `ServiceAccount "${b.subject.name}"`
            : `${b.subject.kind} "${b.subject.name}"`;
        const where = b.namespace ? ` in namespace "${b.namespace}"` : '';
        return {
          allowed: true,
          reason: `RBAC: allowed by ${b.kind} "${b.name}"${where} of ${b.roleRef.kind} "${b.roleRef.name}" to ${who}`,
        };
      }
    }
    return { allowed: false, reason: '' };
  }

  /** Every rule `user` holds in `namespace` (cluster-wide ones included). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    return this.bindingsFor(user, namespace).flatMap((b) => this.rulesOf(b));
  }

  /** The rules of a role a binding would grant (undefined when the role does not exist). */
  roleRules(ref: RoleRef, namespace: string): PolicyRule[] | undefined {
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name);
    if (ref.kind === 'Role') return this.roles.get(`${namespace}/${ref.name}`);
    return undefined;
  }
}

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).includes(value) || (list ?? []).includes('*');
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

function urlMatches(patterns: string[] | undefined, path: string): boolean {
  return (patterns ?? []).some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (attrs.kind === 'nonResource') return urlMatches(rule.nonResourceURLs, attrs.path);
  if (!has(rule.apiGroups, attrs.group)) return false;
  if (!resourceMatches(rule, attrs.resource, attrs.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(attrs.name);
}

/**
 * The parts of `requested` that `held` does not cover (empty: no escalation). Each requested rule is
 * broken into single verb/group/resource/name (or verb/URL) pieces; a "*" requested needs a "*" held.
 */
export function uncoveredRules(held: PolicyRule[], requested: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const verb of rule.verbs) {
      for (const url of rule.nonResourceURLs ?? []) {
        if (!held.some((h) => coversList(h.verbs, verb) && coversUrl(h.nonResourceURLs, url)))
          missing.push({ verbs: [verb], nonResourceURLs: [url] });
      }
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const names = rule.resourceNames?.length ? rule.resourceNames : [''];
          for (const name of names) {
            const ok = held.some(
              (h) =>
                coversList(h.verbs, verb) &&
                coversList(h.apiGroups, group) &&
                coversResource(h.resources, resource) &&
                (!h.resourceNames?.length || (name !== '' && h.resourceNames.includes(name))),
            );
            if (!ok)
              missing.push({
                verbs: [verb],
                apiGroups: [group],
                resources: [resource],
                ...(name ? { resourceNames: [name] } : {}),
              });
          }
        }
      }
    }
  }
  return missing;
}

function coversList(held: string[] | undefined, value: string): boolean {
  return (held ?? []).includes('*') || (held ?? []).includes(value);
}

function coversResource(held: string[] | undefined, resource: string): boolean {
  if (coversList(held, resource)) return true;
  const slash = resource.indexOf('/');
  return slash > 0 && (held ?? []).includes(`*${resource.slice(slash)}`);
}

function coversUrl(held: string[] | undefined, url: string): boolean {
  return (held ?? []).some((p) => {
    if (p === '*' || p === url) return true;
    if (!p.endsWith('*')) return false;
    const prefix = p.slice(0, -1);
    return url.startsWith(prefix);
  });
}

/** A rule as kube prints one in escalation errors: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function formatRule(rule: PolicyRule): string {
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups) parts.push(`APIGroups:${list(rule.apiGroups)}`);
  if (rule.resources) parts.push(`Resources:${list(rule.resources)}`);
  if (rule.resourceNames) parts.push(`ResourceNames:${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs) parts.push(`NonResourceURLs:${list(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${list(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** kube-apiserver's 403 message for a request RBAC refused. */
export function forbiddenMessage(user: UserInfo, attrs: RequestAttributes): string {
  if (attrs.kind === 'nonResource') return `User "${user.username}" cannot ${attrs.verb} path "${attrs.path}"`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  return `User "${user.username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group}" ${scope}`;
}
