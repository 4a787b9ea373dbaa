// The default ClusterRoles and ClusterRoleBindings kube-apiserver creates (its bootstrap policy),
// for the kinds devcluster serves: cluster-admin, the user-facing admin/edit/view (aggregated from
// the system:aggregate-to-* roles and from any ClusterRole labelled to join them), discovery and
// the review kinds for every authenticated user. Reconciled at each start like kube's: missing
// objects are created, and roles annotated autoupdate=true get back permissions they lost.
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { PolicyRule } from './rbac.ts';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];
const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const rule = (verbs: string[], groups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups: groups,
  resources,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });
const aggregateTo = (role: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' });

interface RoleSpec {
  name: string;
  labels?: Record<string, string>;
  rules?: PolicyRule[];
  aggregateFrom?: string;
}

const ROLES: RoleSpec[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  {
    name: 'system:discovery',
    rules: [
      urls(
        ['get'],
        [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      ),
    ],
  },
  {
    name: 'system:public-info-viewer',
    rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
  },
  {
    name: 'system:basic-user',
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  { name: 'admin', aggregateFrom: 'admin' },
  { name: 'edit', labels: aggregateTo('admin'), aggregateFrom: 'edit' },
  { name: 'view', labels: aggregateTo('edit'), aggregateFrom: 'view' },
  {
    name: 'system:aggregate-to-admin',
    labels: aggregateTo('admin'),
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: aggregateTo('edit'),
    rules: [
      rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      rule(['create'], [''], ['pods/eviction']),
      rule(
        WRITE,
        [''],
        [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
      ),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(
        WRITE,
        ['apps'],
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
      ),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: aggregateTo('view'),
    rules: [
      rule(
        READ,
        [''],
        [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
      ),
      rule(
        READ,
        [''],
        [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
      ),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'statefulsets',
          'statefulsets/scale',
          'statefulsets/status',
        ],
      ),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
    ],
  },
];

const BINDINGS: Array<{ name: string; role: string; groups: string[] }> = [
  { name: 'cluster-admin', role: 'cluster-admin', groups: ['system:masters'] },
  { name: 'system:discovery', role: 'system:discovery', groups: ['system:authenticated'] },
  {
    name: 'system:public-info-viewer',
    role: 'system:public-info-viewer',
    groups: ['system:authenticated', 'system:unauthenticated'],
  },
  { name: 'system:basic-user', role: 'system:basic-user', groups: ['system:authenticated'] },
];

export function bootstrapClusterRoles(): KubeObject[] {
  return ROLES.map((r) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: r.name,
      labels: { ...BOOTSTRAPPING, ...r.labels },
      annotations: { [AUTOUPDATE]: 'true' },
    },
    ...(r.aggregateFrom
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateTo(r.aggregateFrom) }] }, rules: [] }
      : { rules: r.rules }),
  }));
}

export function bootstrapClusterRoleBindings(): KubeObject[] {
  return BINDINGS.map((b) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: b.name, labels: { ...BOOTSTRAPPING }, annotations: { [AUTOUPDATE]: 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
    subjects: b.groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  }));
}

/** kube's `reconcile` of the bootstrap policy at start. */
export async function reconcileBootstrapPolicy(api: ObjectApi, catalog: ResourceCatalog): Promise<void> {
  const ctx = systemContext('rbac-bootstrap');
  const roles = catalog.lookup('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const bindings = catalog.lookup('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  for (const [type, desired] of [
    [roles, bootstrapClusterRoles()],
    [bindings, bootstrapClusterRoleBindings()],
  ] as const) {
    for (const want of desired) {
      const current = api.tryGet(type, '', want.metadata.name!);
      if (!current) {
        await api.create(type, '', want, ctx);
        continue;
      }
      if (current.metadata.annotations?.[AUTOUPDATE] === 'false') continue;
      const next = structuredClone(current);
      if (type === roles) {
        if (want.aggregationRule) next.aggregationRule = want.aggregationRule;
        else {
          const held = (current.rules ?? []) as PolicyRule[];
          const missing = (want.rules as PolicyRule[]).filter((r) => !held.some((h) => deepEqual(h, r)));
          next.rules = [...held, ...missing];
        }
        next.metadata.labels = { ...current.metadata.labels, ...want.metadata.labels };
      } else {
        const subjects = (current.subjects ?? []) as object[];
        next.subjects = [
          ...subjects,
          ...(want.subjects as object[]).filter((s) => !subjects.some((c) => deepEqual(c, s))),
        ];
      }
      if (!deepEqual(next, current)) await api.update(type, '', want.metadata.name!, next, ctx);
    }
  }
}
