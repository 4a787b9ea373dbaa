// RBAC's escalation prevention, as kube-apiserver's rbac storage enforces it: a user may create or
// change a Role or ClusterRole only with permissions they already hold (or the `escalate` verb on
// it), and may bind a role only if they hold its permissions (or the `bind` verb on it). Aggregated
// ClusterRoles need `escalate`. Without this, anyone allowed to edit RoleBindings would be admin.
import type { Admission, AdmissionAttributes, UserInfo } from '../admission/admission.ts';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { formatRule, MASTERS_GROUP, uncoveredRules, type PolicyRule, type RoleRef } from './rbac.ts';
import type { RbacCache } from './rbac-cache.ts';

const GROUP = 'rbac.authorization.k8s.io';

function refuse(attrs: AdmissionAttributes, message: string): ApiError {
  const resource = attrs.type.plural;
  return new ApiError(403, 'Forbidden', `${resource}.${GROUP} "${attrs.name}" is forbidden: ${message}`, {
    name: attrs.name,
    group: GROUP,
    kind: resource,
  });
}

function who(user: UserInfo): string {
  return `user "${user.username}" (groups=[${user.groups.map((g) => JSON.stringify(g)).join(' ')}])`;
}

export function rbacEscalationAdmission(rbac: RbacCache): Admission {
  return {
    mutate: async (attrs) => attrs.object,
    async validate(attrs) {
      if (attrs.type.group !== GROUP || attrs.subresource) return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      if (attrs.user.groups.includes(MASTERS_GROUP) || !attrs.object) return;
      const policy = rbac.policy();
      const obj = attrs.object as KubeObject;
      const plural = attrs.type.plural;
      const allowedVerb = (verb: string, resource: string, name: string) =>
        policy.authorize(attrs.user, {
          kind: 'resource',
          verb,
          group: GROUP,
          resource,
          subresource: '',
          name,
          namespace: attrs.namespace,
        }).allowed;
      let granted: PolicyRule[] | undefined;
      if (plural === 'roles' || plural === 'clusterroles') {
        if (allowedVerb('escalate', plural, attrs.name)) return;
        if (obj.aggregationRule) throw refuse(attrs, 'must have cluster-admin privileges to use the aggregationRule');
        granted = (obj.rules ?? []) as PolicyRule[];
      } else if (plural === 'rolebindings' || plural === 'clusterrolebindings') {
        const ref = obj.roleRef as RoleRef | undefined;
        if (!ref) return;
        if (allowedVerb('bind', ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles', ref.name)) return;
        granted = policy.roleRules(ref, attrs.namespace);
        if (!granted)
          throw refuse(
            attrs,
            `${ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles'}.${GROUP} "${ref.name}" not found`,
          );
      } else return;
      const missing = uncoveredRules(policy.rulesFor(attrs.user, attrs.namespace), granted);
      if (missing.length)
        throw refuse(
          attrs,
          `${who(attrs.user)} is attempting to grant RBAC permissions not currently held:\n` +
            `${missing.map(formatRule).join('\n')}`,
        );
    },
  };
}
