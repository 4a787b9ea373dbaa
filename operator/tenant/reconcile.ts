// reconcileTenant(name): one level-triggered pass over one WorkflowTenant, in the shape of
// controller/reconcile.ts. It reads only the tenant view (informer caches and license verdicts) and
// writes only through ports; an unchanged tenant costs no write.
//
//   tenant -> owned namespaces (first claim wins) -> license (Secret -> validator verdict)
//       -> limits (quotas vs license) -> namespace objects (apply; release dropped namespaces)
//       -> status (usage, limits, license, conditions; written only when it changed) -> usage report
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LicenseStatus } from '../../license/index.ts';
import * as api from '../api/constants.ts';
import * as tenantApi from '../api/tenant-constants.ts';
import { mergeConditions, type ConditionUpdate } from '../controller/conditions.ts';
import { isTemporary } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { canonicalJson } from '../render/hash.ts';
import { releasedNamespace, renderNamespace, renderTenantObjects } from './render.ts';
import type { TenantLicenseSummary, TenantLimits, WorkflowTenant, WorkflowTenantStatus } from './types.ts';
import { effectiveLimits, overLimits, usageDisplay } from './usage.ts';
import type { TenantView } from './view.ts';

export interface TenantPorts {
  apply(obj: KubernetesObject): Promise<unknown>;
  delete(ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<void>;
  patchTenantStatus(name: string, patch: Record<string, unknown>): Promise<void>;
}

export interface TenantReconcileDeps {
  view: Pick<
    TenantView,
    | 'tenant'
    | 'ownedNamespaces'
    | 'tenantOfNamespace'
    | 'labelledNamespaces'
    | 'namespace'
    | 'licenseKey'
    | 'license'
    | 'usage'
    | 'licenses'
  >;
  client: TenantPorts;
  /** Tenant name -> hash of the objects last applied for it: an unchanged tenant applies nothing. */
  applied: Map<string, string>;
  now: () => number;
  events?: EventRecorder;
  logger?: Logger;
}

export interface TenantReconcileResult {
  requeueAfterMs?: number;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function reconcileTenant(name: string, deps: TenantReconcileDeps): Promise<TenantReconcileResult> {
  const { view } = deps;
  const t = view.tenant(name);
  if (!t || t.metadata.deletionTimestamp) {
    deps.applied.delete(name);
    return {};
  }
  const owned = view.ownedNamespaces(t);
  const conflicts = (t.spec?.namespaces ?? [])
    .filter((ns) => !owned.includes(ns))
    .map((ns) => `${ns} (belongs to tenant ${view.tenantOfNamespace(ns)?.metadata.name ?? '?'})`);
  const { key, problem: keyProblem } = view.licenseKey(t);
  const license = view.license(name);
  const limits = effectiveLimits(t.spec?.quotas, license?.claims);

  const desired = owned.flatMap((ns) => [
    renderNamespace(name, ns),
    ...renderTenantObjects(t, ns, limits, key || undefined),
  ]);
  const released = view
    .labelledNamespaces(name)
    .map((n) => n.metadata?.name ?? '')
    .filter((ns) => ns && !owned.includes(ns));
  const hash = canonicalJson({ desired, released, uid: t.metadata.uid });
  const missing = owned.some((ns) => view.namespace(ns)?.metadata?.labels?.[api.labels.tenant] !== name);
  const problems: string[] = [];
  if (deps.applied.get(name) !== hash || missing) {
    for (const obj of desired) {
      try {
        await deps.client.apply(obj);
      } catch (err) {
        if (isTemporary(err)) throw err;
        problems.push(
          `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}: ` +
            `${(err as Error).message}`,
        );
      }
    }
    for (const ns of released) await release(ns, deps, problems);
    if (!key)
      await deleteQuietly(
        deps,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: tenantApi.objects.licenseSecret } },
        owned,
      );
    // Permanent failures (a kind the cluster does not serve, RBAC) are retried on a slow clock, not in a loop.
    deps.applied.set(name, hash);
    if (problems.length) deps.logger?.warn({ tenant: name, problems }, 'some tenant objects could not be written');
  }

  const usage = view.usage(name);
  const status = tenantStatus(t, {
    owned,
    conflicts,
    problems,
    usage,
    limits,
    license,
    keyProblem,
    now: deps.now(),
  });
  await writeStatus(t, status, deps);
  view.licenses.reportUsage(name, usage);
  return problems.length ? { requeueAfterMs: 5 * 60_000 } : {};
}

/** The objects a namespace that left the tenant keeps no longer, then its tenant label. */
async function release(ns: string, deps: TenantReconcileDeps, problems: string[]): Promise<void> {
  const o = tenantApi.objects;
  const refs = [
    { apiVersion: 'v1', kind: 'ResourceQuota', name: o.quota },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: o.networkPolicy },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: o.roleBinding },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: o.role },
    { apiVersion: 'v1', kind: 'Secret', name: o.licenseSecret },
  ];
  for (const r of refs)
    await deleteQuietly(deps, { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name } }, [ns]);
  try {
    await deps.client.apply(releasedNamespace(ns));
  } catch (err) {
    if (isTemporary(err)) throw err;
    problems.push(`Namespace ${ns}: ${(err as Error).message}`);
  }
}

async function deleteQuietly(
  deps: TenantReconcileDeps,
  ref: { apiVersion: string; kind: string; metadata: { name: string } },
  namespaces: string[],
): Promise<void> {
  for (const namespace of namespaces) {
    try {
      await deps.client.delete({ ...ref, metadata: { ...ref.metadata, namespace } });
    } catch (err) {
      if (isTemporary(err)) throw err;
      // A kind the cluster does not serve has nothing to delete.
    }
  }
}

export interface TenantFacts {
  owned: string[];
  conflicts: string[];
  problems: string[];
  usage: { apps: number; replicas: number; plugins: number; pluginNames: string[] };
  limits: TenantLimits;
  license: LicenseStatus | undefined;
  keyProblem?: string;
  now: number;
}

function licenseSummary(t: WorkflowTenant, f: TenantFacts): TenantLicenseSummary | undefined {
  const l = f.license;
  if (!l) return t.spec?.licenseSecretRef ? { valid: false, reason: 'NoKey' } : undefined;
  const c = l.claims;
  return {
    ...(c
      ? {
          id: c.licenseId,
          tier: c.tier,
          organization: c.organization,
          expiresAt: timestamp(c.expiresAt * 1000),
          features: c.features,
        }
      : {}),
    valid: l.valid,
    reason: l.reason,
    source: l.source,
    ...(l.lastValidatedAt !== undefined ? { lastValidated: timestamp(l.lastValidatedAt) } : {}),
  };
}

/** status(tenant, facts) -> WorkflowTenantStatus, pure. */
export function tenantStatus(t: WorkflowTenant, f: TenantFacts): WorkflowTenantStatus {
  const generation = t.metadata.generation ?? 0;
  const updates: ConditionUpdate[] = [];
  const l = f.license;
  if (!l) {
    updates.push({
      type: 'LicenseValid',
      status: 'False',
      reason: 'NoLicense',
      message: 'the tenant has no license (spec.licenseSecretRef): premium plugins are refused; quotas still apply',
    });
  } else if (l.valid) {
    updates.push({
      type: 'LicenseValid',
      status: 'True',
      reason: l.source === 'grace' ? 'GracePeriod' : 'Valid',
      message: l.message,
    });
  } else {
    updates.push({
      type: 'LicenseValid',
      status: 'False',
      reason: l.reason,
      message:
        `${l.reason === 'NoKey' && f.keyProblem ? f.keyProblem : l.message}; new apps are refused, ` +
        `running apps keep running`,
    });
  }
  const over = overLimits(f.usage, f.limits);
  const display = usageDisplay(f.usage, f.limits);
  updates.push(
    over.length
      ? {
          type: 'WithinQuota',
          status: 'False',
          reason: 'OverQuota',
          message: `over the limits: ${over.join(', ')}; new apps and more replicas are refused`,
        }
      : {
          type: 'WithinQuota',
          status: 'True',
          reason: 'WithinQuota',
          message: `apps ${display.apps}, replicas ${display.replicas}, plugins ${display.plugins}`,
        },
  );
  const notReady = [...f.conflicts.map((c) => `namespace ${c}`), ...f.problems];
  updates.push(
    notReady.length
      ? {
          type: 'Ready',
          status: 'False',
          reason: f.conflicts.length ? 'NamespaceConflict' : 'ApplyFailed',
          message: notReady.join('; '),
        }
      : {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: f.owned.length ? `namespaces ${f.owned.join(', ')} are set up` : 'the tenant has no namespaces',
        },
  );
  const status: WorkflowTenantStatus = {
    observedGeneration: generation,
    namespaces: f.owned,
    usage: f.usage,
    limits: f.limits,
    display,
    conditions: mergeConditions(t.status?.conditions, updates, generation, timestamp(f.now)),
  };
  const license = licenseSummary(t, f);
  if (license) status.license = license;
  return status;
}

/** RFC 7386 merge patch that turns `prev` into `next` (null deletes). */
export function mergePatchBetween(prev: unknown, next: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(prev) || !isObj(next)) return next;
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(prev)) if (!(k in next)) patch[k] = null;
  for (const [k, v] of Object.entries(next)) {
    if (canonicalJson(prev[k]) !== canonicalJson(v)) patch[k] = mergePatchBetween(prev[k], v);
  }
  return patch;
}

async function writeStatus(t: WorkflowTenant, status: WorkflowTenantStatus, deps: TenantReconcileDeps): Promise<void> {
  const prev = t.status ?? {};
  if (canonicalJson(prev) === canonicalJson(status)) return;
  const before = prev.conditions?.find((c) => c.type === 'LicenseValid');
  const after = status.conditions?.find((c) => c.type === 'LicenseValid');
  await deps.client.patchTenantStatus(t.metadata.name, mergePatchBetween(prev, status) as Record<string, unknown>);
  if (after && (before?.status !== after.status || before.reason !== after.reason))
    deps.events?.event(t, after.status === 'True' ? 'Normal' : 'Warning', `License${after.reason}`, after.message);
}
