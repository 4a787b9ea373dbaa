// render(tenant, namespace) -> the objects the operator keeps in each tenant namespace, pure:
//   Namespace (labelled with the tenant), ResourceQuota, NetworkPolicy, Role + RoleBinding, and the
//   license Secret apps read WORKFLOW_LICENSE_KEY from.
// Everything but the Namespace is owned by the tenant (deleting the tenant garbage-collects them);
// namespaces are never owned: deleting a tenant must not delete its apps' data.
import type { KubernetesObject } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import * as tenantApi from '../api/tenant-constants.ts';
import type { TenantLimits, WorkflowTenant } from './types.ts';

export function tenantLabels(tenant: string): Record<string, string> {
  return { [api.labels.tenant]: tenant, [api.labels.managedBy]: api.managedByValue };
}

function ownerRef(t: WorkflowTenant) {
  return {
    apiVersion: api.apiVersion,
    kind: tenantApi.kind,
    name: t.metadata.name,
    uid: t.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function renderNamespace(tenant: string, name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: tenantLabels(tenant) } };
}

/** A namespace leaving a tenant: applied with no labels, server-side apply drops the ones we set. */
export function releasedNamespace(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/**
 * Pods are capped at twice maxReplicas: a blue-green switch runs both colors at full size, and a
 * rolling update surges. The admission webhook enforces maxReplicas itself, per spec.
 */
export function quotaHard(limits: TenantLimits): Record<string, string> {
  const hard: Record<string, string> = {};
  if (limits.maxApps !== undefined) hard[`count/${api.plural}.${api.group}`] = String(limits.maxApps);
  if (limits.maxReplicas !== undefined) hard.pods = String(2 * limits.maxReplicas);
  return hard;
}

export function renderTenantObjects(
  t: WorkflowTenant,
  namespace: string,
  limits: TenantLimits,
  licenseToken: string | undefined,
): KubernetesObject[] {
  const name = t.metadata.name;
  const meta = (objName: string) => ({
    name: objName,
    namespace,
    labels: tenantLabels(name),
    ownerReferences: [ownerRef(t)],
  });
  const objects: KubernetesObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(tenantApi.objects.quota),
      spec: { hard: quotaHard(limits) },
    } as KubernetesObject,
    // Ingress only from the tenant's own namespaces and from namespaces of no tenant (ingress
    // controllers, monitoring, the operator): other tenants cannot reach these pods.
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(tenantApi.objects.networkPolicy),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { [api.labels.tenant]: name } } },
              { namespaceSelector: { matchExpressions: [{ key: api.labels.tenant, operator: 'DoesNotExist' }] } },
            ],
          },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(tenantApi.objects.role),
      rules: [
        {
          apiGroups: [api.group],
          resources: [api.plural, `${api.plural}/scale`],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [api.group], resources: [`${api.plural}/status`], verbs: ['get'] },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: [''],
          resources: ['pods', 'pods/log', 'services', 'events', 'resourcequotas'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(tenantApi.objects.roleBinding),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: tenantApi.objects.role },
      subjects: [
        ...(t.spec.users ?? []).map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u })),
        ...(t.spec.groups ?? []).map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
      ],
    } as KubernetesObject,
  ];
  if (licenseToken) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(tenantApi.objects.licenseSecret),
      type: 'Opaque',
      data: { [tenantApi.objects.licenseKey]: Buffer.from(licenseToken).toString('base64') },
    } as KubernetesObject);
  }
  return objects;
}
