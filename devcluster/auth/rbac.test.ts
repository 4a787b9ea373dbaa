import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../admission/admission.ts';
import {
  forbiddenMessage,
  RbacPolicy,
  ruleAllows,
  uncoveredRules,
  type PolicyRule,
  type RequestAttributes,
} from './rbac.ts';

const res = (
  verb: string,
  resource: string,
  namespace = '',
  extra: Partial<RequestAttributes> = {},
): RequestAttributes =>
  ({
    kind: 'resource',
    verb,
    group: '',
    resource,
    subresource: '',
    name: '',
    namespace,
    ...extra,
  }) as RequestAttributes;

const policy = new RbacPolicy({
  roles: [
    {
      metadata: { namespace: 'team', name: 'pod-reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] }],
    },
    {
      metadata: { namespace: 'team', name: 'one-cm' },
      rules: [{ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] }],
    },
  ],
  clusterRoles: [
    {
      metadata: { name: 'view' },
      rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] }],
    },
    { metadata: { name: 'health' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] }] },
    {
      metadata: { name: 'status-writer' },
      rules: [{ verbs: ['patch'], apiGroups: ['apps'], resources: ['*/status'] }],
    },
  ],
  roleBindings: [
    {
      metadata: { namespace: 'team', name: 'readers' },
      roleRef: { kind: 'Role', name: 'pod-reader' },
      subjects: [
        { kind: 'ServiceAccount', name: 'bot' },
        { kind: 'User', name: 'alice' },
      ],
    },
    {
      metadata: { namespace: 'team', name: 'cm' },
      roleRef: { kind: 'Role', name: 'one-cm' },
      subjects: [{ kind: 'Group', name: 'devs' }],
    },
    {
      metadata: { namespace: 'team', name: 'view' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'bob' }],
    },
    {
      metadata: { namespace: 'team', name: 'ghost' },
      roleRef: { kind: 'Role', name: 'missing' },
      subjects: [{ kind: 'User', name: 'bob' }],
    },
  ],
  clusterRoleBindings: [
    {
      metadata: { name: 'health' },
      roleRef: { kind: 'ClusterRole', name: 'health' },
      subjects: [{ kind: 'Group', name: 'system:authenticated' }],
    },
    {
      metadata: { name: 'status' },
      roleRef: { kind: 'ClusterRole', name: 'status-writer' },
      subjects: [{ kind: 'ServiceAccount', name: 'ctl', namespace: 'ops' }],
    },
  ],
});

const user = (username: string, groups: string[] = []): UserInfo => ({
  username,
  groups: [...groups, 'system:authenticated'],
});
const bot = user('system:serviceaccount:team:bot', ['system:serviceaccounts', 'system:serviceaccounts:team']);

test('RBAC decisions: bindings by subject, namespace scope, resource names, subresources, URLs', () => {
  const cases: Array<[string, UserInfo, RequestAttributes, boolean]> = [
    ['SA subject defaults to the binding namespace', bot, res('list', 'pods', 'team'), true],
    ['a Role applies only in its namespace', bot, res('list', 'pods', 'other'), false],
    ['a verb the role lacks', bot, res('delete', 'pods', 'team'), false],
    ['a subresource named in the role', bot, res('get', 'pods', 'team', { subresource: 'log' }), true],
    ['a subresource not named', bot, res('create', 'pods', 'team', { subresource: 'exec' }), false],
    ['user subject', user('alice'), res('get', 'pods', 'team'), true],
    [
      'group subject with resourceNames: the named one',
      user('carol', ['devs']),
      res('update', 'configmaps', 'team', { name: 'app' }),
      true,
    ],
    [
      'group subject with resourceNames: another name',
      user('carol', ['devs']),
      res('update', 'configmaps', 'team', { name: 'db' }),
      false,
    ],
    ['resourceNames never allow list', user('carol', ['devs']), res('list', 'configmaps', 'team'), false],
    [
      'ClusterRole through a RoleBinding: in that namespace',
      user('bob'),
      res('watch', 'deployments', 'team', { group: 'apps' }),
      true,
    ],
    [
      'ClusterRole through a RoleBinding: not cluster-wide',
      user('bob'),
      res('list', 'deployments', '', { group: 'apps' }),
      false,
    ],
    ['a group the rule does not name', user('bob'), res('list', 'jobs', 'team', { group: 'batch' }), false],
    [
      'ClusterRoleBinding to a group, non-resource URL',
      user('dave'),
      { kind: 'nonResource', verb: 'get', path: '/healthz' },
      true,
    ],
    ['URL prefix with *', user('dave'), { kind: 'nonResource', verb: 'get', path: '/apis/apps/v1' }, true],
    ['URL not covered', user('dave'), { kind: 'nonResource', verb: 'get', path: '/metrics' }, false],
    [
      '*/status matches any status subresource',
      user('system:serviceaccount:ops:ctl'),
      res('patch', 'deployments', 'x', { group: 'apps', subresource: 'status' }),
      true,
    ],
    [
      '*/status does not match the resource itself',
      user('system:serviceaccount:ops:ctl'),
      res('patch', 'deployments', 'x', { group: 'apps' }),
      false,
    ],
    ['system:masters may do anything', user('root', ['system:masters']), res('delete', 'nodes'), true],
    ['nobody else', user('eve'), res('get', 'pods', 'team'), false],
  ];
  for (const [what, u, attrs, allowed] of cases) assert.equal(policy.authorize(u, attrs).allowed, allowed, what);
  assert.match(
    policy.authorize(bot, res('list', 'pods', 'team')).reason,
    /^RBAC: allowed by RoleBinding "readers" in namespace "team" of Role "pod-reader" to ServiceAccount "bot"$/,
  );
});

test('forbidden messages read like kube-apiserver', () => {
  assert.equal(
    forbiddenMessage(bot, res('list', 'secrets', 'team')),
    'User "system:serviceaccount:team:bot" cannot list resource "secrets" in API group "" in the namespace "team"',
  );
  assert.equal(
    forbiddenMessage(user('eve'), res('create', 'pods', 'team', { subresource: 'exec', name: 'p' })),
    'User "eve" cannot create resource "pods/exec" in API group "" in the namespace "team"',
  );
  assert.equal(
    forbiddenMessage(user('eve'), res('list', 'nodes')),
    'User "eve" cannot list resource "nodes" in API group "" at the cluster scope',
  );
  assert.equal(
    forbiddenMessage(user('eve'), { kind: 'nonResource', verb: 'get', path: '/metrics' }),
    'User "eve" cannot get path "/metrics"',
  );
});

test('rules a user holds per namespace, and escalation: only what they hold may be granted', () => {
  const held = policy.rulesFor(user('bob'), 'team');
  assert.equal(held.length, 1 + 1, "view's rule plus the group-wide health rule");
  const grant = (rules: PolicyRule[]) => uncoveredRules(held, rules);
  assert.deepEqual(grant([{ verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'] }]), []);
  assert.deepEqual(grant([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]), []);
  assert.deepEqual(grant([{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]), [
    { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
  ]);
  assert.equal(grant([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]).length, 1, 'a * needs a * held');
  assert.deepEqual(
    uncoveredRules(
      [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }],
      [
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] },
      ],
    ),
    [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }],
    'a name-limited rule does not cover all names',
  );
  assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, res('escalate', 'roles')));
});
