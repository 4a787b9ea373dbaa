// The tenant's pure parts: limits (the lower of quota and license), usage, the objects written into
// each namespace, the status and its conditions, and the app's LicenseValid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LicenseStatus } from '../../license/index.ts';
import type { WorkflowApp } from '../api/types.ts';
import { appLicenseCondition } from './app-license.ts';
import { quotaHard, renderTenantObjects } from './render.ts';
import { mergePatchBetween, tenantStatus, type TenantFacts } from './reconcile.ts';
import type { WorkflowTenant } from './types.ts';
import { effectiveLimits, footprint, overLimits, sumUsage, usageDisplay } from './usage.ts';

const tenant: WorkflowTenant = {
  apiVersion: 'workflow.gocodealone.com/v1alpha1',
  kind: 'WorkflowTenant',
  metadata: { name: 'acme', uid: 'u-1', generation: 2 },
  spec: { namespaces: ['acme'], quotas: { maxApps: 3, maxReplicas: 4 }, users: ['alice'], groups: ['devs'] },
};

const claims = {
  licenseId: 'lic-1',
  tenant: 'acme',
  organization: 'ACME',
  tier: 'enterprise' as const,
  features: ['payments'],
  maxApps: 2,
  maxReplicas: 0,
  maxPlugins: 5,
  issuedAt: 1_700_000_000,
  expiresAt: 1_800_000_000,
};
const valid: LicenseStatus = {
  valid: true,
  reason: 'Valid',
  message: 'license lic-1 verified offline',
  claims,
  source: 'offline',
};

test('limits: the lower of the quota and the license; 0 in a license is no limit', () => {
  assert.deepEqual(effectiveLimits(tenant.spec.quotas, claims), { maxApps: 2, maxReplicas: 4, maxPlugins: 5 });
  assert.deepEqual(effectiveLimits(undefined, undefined), {});
  const usage = sumUsage([footprint({ spec: { replicas: 2, plugins: [{ name: 'a' }] } }), footprint({ spec: {} })]);
  assert.deepEqual(usage, { apps: 2, replicas: 3, plugins: 1, pluginNames: ['a'] });
  assert.deepEqual(usageDisplay(usage, { maxApps: 3 }), { apps: '2/3', replicas: '3', plugins: '1' });
  assert.deepEqual(overLimits(usage, { maxApps: 1, maxReplicas: 3 }), ['2 apps (max 1)']);
  assert.deepEqual(quotaHard({ maxApps: 3, maxReplicas: 4 }), {
    'count/workflowapps.workflow.gocodealone.com': '3',
    pods: '8',
  });
});

test('the objects of a tenant namespace: owned by the tenant, users and groups bound, the license copied', () => {
  const objs = renderTenantObjects(tenant, 'acme', { maxApps: 3 }, 'wflic.v1.x.y') as any[];
  assert.deepEqual(
    objs.map((o) => `${o.kind}/${o.metadata.name}`),
    [
      'ResourceQuota/workflow-tenant-quota',
      'NetworkPolicy/workflow-tenant-isolation',
      'Role/workflow-tenant',
      'RoleBinding/workflow-tenant',
      'Secret/workflow-license',
    ],
  );
  for (const o of objs) {
    assert.equal(o.metadata.namespace, 'acme');
    assert.equal(o.metadata.labels['workflow.gocodealone.com/tenant'], 'acme');
    assert.deepEqual(o.metadata.ownerReferences[0], {
      apiVersion: 'workflow.gocodealone.com/v1alpha1',
      kind: 'WorkflowTenant',
      name: 'acme',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
  }
  assert.deepEqual(
    objs[3].subjects.map((s: any) => `${s.kind}:${s.name}`),
    ['User:alice', 'Group:devs'],
  );
  assert.equal(Buffer.from(objs[4].data.license, 'base64').toString(), 'wflic.v1.x.y');
  assert.equal(renderTenantObjects(tenant, 'acme', {}, undefined).length, 4, 'no license, no Secret');
});

const facts = (extra: Partial<TenantFacts> = {}): TenantFacts => ({
  owned: ['acme'],
  conflicts: [],
  problems: [],
  usage: { apps: 1, replicas: 2, plugins: 1, pluginNames: ['payments'] },
  limits: { maxApps: 2, maxReplicas: 4 },
  license: valid,
  now: Date.parse('2026-06-01T00:00:00Z'),
  ...extra,
});

test('status: usage against limits, the license summary and the three conditions', () => {
  const s = tenantStatus(tenant, facts());
  assert.deepEqual(s.display, { apps: '1/2', replicas: '2/4', plugins: '1' });
  assert.deepEqual(s.license, {
    id: 'lic-1',
    tier: 'enterprise',
    organization: 'ACME',
    expiresAt: '2027-01-15T08:00:00Z',
    features: ['payments'],
    valid: true,
    reason: 'Valid',
    source: 'offline',
  });
  const byType = Object.fromEntries(s.conditions!.map((c) => [c.type, c]));
  assert.deepEqual(
    [byType.Ready!.status, byType.LicenseValid!.status, byType.WithinQuota!.status],
    ['True', 'True', 'True'],
  );
  assert.equal(byType.Ready!.observedGeneration, 2);

  const over = tenantStatus(tenant, facts({ usage: { apps: 3, replicas: 2, plugins: 0, pluginNames: [] } }));
  assert.match(over.conditions!.find((c) => c.type === 'WithinQuota')!.message, /over the limits: 3 apps \(max 2\)/);
  const none = tenantStatus(tenant, facts({ license: undefined }));
  assert.equal(none.conditions!.find((c) => c.type === 'LicenseValid')!.reason, 'NoLicense');
  const missing = tenantStatus(
    { ...tenant, spec: { ...tenant.spec, licenseSecretRef: { name: 'l' } } },
    facts({
      license: { valid: false, reason: 'NoKey', message: 'no license key', source: 'none' },
      keyProblem: 'Secret acme/l (spec.licenseSecretRef) not found',
    }),
  );
  assert.match(
    missing.conditions!.find((c) => c.type === 'LicenseValid')!.message,
    /^Secret acme\/l \(spec.licenseSecretRef\) not found; new apps are refused, running apps keep running$/,
  );
  const conflict = tenantStatus(tenant, facts({ conflicts: ['shared (belongs to tenant globex)'] }));
  assert.equal(conflict.conditions!.find((c) => c.type === 'Ready')!.reason, 'NamespaceConflict');
});

test('the status patch deletes what disappeared, nested keys included', () => {
  assert.deepEqual(
    mergePatchBetween({ limits: { maxApps: 3, maxReplicas: 4 }, license: { id: 'x' } }, { limits: { maxApps: 3 } }),
    {
      limits: { maxReplicas: null },
      license: null,
    },
  );
});

test("an app's LicenseValid: the tenant's verdict, premium plugins the license lacks, or not required", () => {
  const app = (plugins: string[], ns = 'acme') =>
    ({
      metadata: { name: 'a', namespace: ns },
      spec: { plugins: plugins.map((name) => ({ name })) },
    }) as unknown as WorkflowApp;
  const f = (license?: LicenseStatus) => ({
    tenantOfNamespace: (ns: string) => (ns === 'acme' ? tenant : undefined),
    license: () => license,
    pluginTier: (n: string) => (n === 'payments' || n === 'billing' ? 'premium' : 'core'),
  });
  assert.equal(appLicenseCondition(app(['payments']), f(valid)).status, 'True');
  const lacks = appLicenseCondition(app(['billing']), f(valid));
  assert.deepEqual([lacks.status, lacks.reason], ['False', 'NotLicensed']);
  assert.match(
    lacks.message,
    /does not include premium plugin "billing" \(features: payments\); the app keeps running/,
  );
  const expired = appLicenseCondition(
    app([]),
    f({ ...valid, valid: false, reason: 'Expired', message: 'license lic-1 expired' }),
  );
  assert.deepEqual([expired.status, expired.reason], ['False', 'Expired']);
  const outside = appLicenseCondition(app(['payments'], 'default'), f());
  assert.match(outside.message, /premium plugin "payments" needs a license \(the app belongs to no tenant\)/);
  assert.equal(appLicenseCondition(app(['http'], 'default'), f()).reason, 'NotRequired');
});
