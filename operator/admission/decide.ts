// The admission decision for WorkflowApps, one pure function: request + caches + license verdicts ->
// allow or deny with a message that says exactly why (tenant, plugin, tier, limit, expiry), plus
// warnings. The HTTPS shell (server.ts) parses the AdmissionReview and formats the answer; it never
// calls out on the request path. The same kind of single door as registry-index/validate-manifest.ts.
//
// Rules, in order (UPDATE = only what the update adds is judged: running apps keep running):
//   tenant   the namespace's tenant is the app's; a label or spec.tenant naming another is refused
//   config   spec.config (when new or changed) must pass the engine's validator (file:line:column)
//   plugins  tiers come from the registry; unknown tiers refuse added plugins (fail closed);
//            the tenant's allowedTiers; premium needs a valid license of tier professional or
//            enterprise whose features include the plugin (or *)
//   license  a tenant with an invalid (expired, revoked, grace expired...) license gets no new apps;
//            updates that add no premium plugin and no replicas still pass
//   quotas   maxApps on create, maxReplicas when replicas grow, maxPlugins when plugins are added:
//            the lower of the tenant's quota and the license's limit
//   warn     license expiring within 14 days; license valid only by grace; tenant label of no tenant
import type { LicenseStatus } from '../../license/index.ts';
import { isoSeconds, premiumPluginProblem } from '../../license/index.ts';
import * as api from '../api/constants.ts';
import { expiryWarningDays } from '../api/tenant-constants.ts';
import type { WorkflowApp } from '../api/types.ts';
import type { ConfigCheck } from '../config/validator.ts';
import type { WorkflowTenant } from '../tenant/types.ts';
import { effectiveLimits, footprint, type AppFootprint } from '../tenant/usage.ts';

export interface AdmissionRequestFacts {
  operation: string;
  /** '' or 'scale'. */
  subResource: string;
  namespace: string;
  name: string;
  /** The WorkflowApp (or, for the scale subresource, the autoscaling/v1 Scale). */
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
}

/** What the decision reads: informer caches and background-refreshed verdicts, no I/O. */
export interface AdmissionFacts {
  tenantOfNamespace(namespace: string): WorkflowTenant | undefined;
  tenant(name: string): WorkflowTenant | undefined;
  /** The tenant's apps, the app under review left out. */
  usage(tenant: string, exceptKey: string): { apps: number; replicas: number; plugins: number; pluginNames: string[] };
  /** The tenant's license verdict; undefined when it has no license. */
  license(tenant: string): LicenseStatus | undefined;
  /** Why the tenant has no usable key, if it has none (Secret missing...). */
  licenseProblem?(tenant: string): string | undefined;
  pluginTier(name: string): string | undefined;
  /** A plugin whose tier is being looked up (not in the registry's public index). */
  pluginTierPending?(name: string): boolean;
  tiersKnown: boolean;
  tiersProblem?: string;
  /** The stored app (for the scale subresource, whose object is a Scale). */
  app(namespace: string, name: string): WorkflowApp | undefined;
  /** The engine's config validator, synchronous (memoized by the shell). */
  checkConfig?(text: string, file: string): ConfigCheck;
  now: number;
}

export interface Decision {
  allowed: boolean;
  /** HTTP-style code for a denial: 403 policy (license, quota), 422 invalid config. */
  code?: number;
  reason?: 'Forbidden' | 'Invalid';
  message: string;
  warnings: string[];
  /** For the shell: count this app against the tenant until the cache shows it. */
  reserve?: { tenant: string; footprint: AppFootprint };
}

const allow = (message: string, warnings: string[], reserve?: Decision['reserve']): Decision => ({
  allowed: true,
  message,
  warnings,
  ...(reserve ? { reserve } : {}),
});
const forbid = (message: string, warnings: string[]): Decision => ({
  allowed: false,
  code: 403,
  reason: 'Forbidden',
  message,
  warnings,
});

function asApp(obj: Record<string, unknown> | null): Pick<WorkflowApp, 'spec' | 'metadata'> | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  return obj as unknown as WorkflowApp;
}

function licenseWarnings(tenant: string, l: LicenseStatus | undefined, now: number): string[] {
  if (!l?.valid || !l.claims) return [];
  const out: string[] = [];
  const days = Math.floor((l.claims.expiresAt * 1000 - now) / 86_400_000);
  if (days < expiryWarningDays)
    out.push(
      `license ${l.claims.licenseId} of tenant ${tenant} expires in ` +
        `${days <= 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} ` +
        `(${isoSeconds(l.claims.expiresAt)}): renew it`,
    );
  if (l.source === 'grace') out.push(`tenant ${tenant}: ${l.message}`);
  return out;
}

export function decideWorkflowApp(req: AdmissionRequestFacts, facts: AdmissionFacts): Decision {
  const warnings: string[] = [];
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow('not a create or update', warnings);
  const scale = req.subResource === 'scale';
  if (req.subResource && !scale) return allow(`subresource ${req.subResource} is not judged`, warnings);
  const key = `${req.namespace}/${req.name}`;

  // What the request asks for, and what it had.
  const stored = scale ? facts.app(req.namespace, req.name) : undefined;
  const next = scale ? stored : asApp(req.object);
  if (!next && !scale)
    return { allowed: false, code: 400, reason: 'Invalid', message: 'request.object is missing', warnings };
  const prev = scale ? stored : asApp(req.oldObject);
  const creating = req.operation === 'CREATE' && !scale;
  const nextFoot: AppFootprint = scale
    ? {
        replicas: scaleReplicas(req.object) ?? footprint(stored ?? { spec: {} }).replicas,
        plugins: stored ? footprint(stored).plugins : [],
      }
    : footprint(next!);
  const prevFoot = scale
    ? {
        replicas: scaleReplicas(req.oldObject) ?? footprint(stored ?? { spec: {} }).replicas,
        plugins: nextFoot.plugins,
      }
    : prev
      ? footprint(prev)
      : undefined;
  const addedPlugins = nextFoot.plugins.filter((p) => !prevFoot?.plugins.includes(p));
  const moreReplicas = creating || nextFoot.replicas > (prevFoot?.replicas ?? 0);

  // Tenant: the namespace decides; a label or spec.tenant may only agree with it.
  const nsTenant = facts.tenantOfNamespace(req.namespace);
  const claimed = scale ? undefined : [next!.metadata?.labels?.[api.labels.tenant], next!.spec?.tenant].find((x) => x);
  const tenant = nsTenant;
  if (claimed) {
    if (nsTenant && claimed !== nsTenant.metadata.name)
      return forbid(
        `namespace ${req.namespace} belongs to tenant ${nsTenant.metadata.name}, but the app names tenant ` +
          `${claimed} (label ${api.labels.tenant} or spec.tenant): remove it or use tenant ${nsTenant.metadata.name}`,
        warnings,
      );
    if (!nsTenant) {
      const named = facts.tenant(claimed);
      if (named)
        return forbid(
          `namespace ${req.namespace} is not one of tenant ${claimed}'s namespaces ` +
            `(${(named.spec?.namespaces ?? []).join(', ') || 'none'}): deploy the app there or add the ` +
            `namespace to the WorkflowTenant`,
          warnings,
        );
      warnings.push(`no WorkflowTenant "${claimed}" exists: no tenant quota or license applies to this app`);
    }
  }
  const tenantName = tenant?.metadata.name;

  // Config: only when new or changed, so an old config never blocks a scale or a label change.
  if (!scale && facts.checkConfig && typeof next!.spec?.config === 'string') {
    const changed = creating || prev?.spec?.config !== next!.spec.config;
    if (changed) {
      const check = facts.checkConfig(next!.spec.config, 'spec.config');
      if (!check.ok)
        return {
          allowed: false,
          code: 422,
          reason: 'Invalid',
          message: `spec.config is not a valid engine config:\n${check.errors.slice(0, 20).join('\n')}`,
          warnings,
        };
    }
  }

  // Plugins: tiers from the registry, then the tenant's allowed tiers, then premium licensing.
  const license = tenantName ? facts.license(tenantName) : undefined;
  if (addedPlugins.length && !facts.tiersKnown)
    return forbid(
      `cannot check the tier of plugin${addedPlugins.length > 1 ? 's' : ''} ${addedPlugins.join(', ')}: the ` +
        `plugin registry has not answered yet${facts.tiersProblem ? ` (${facts.tiersProblem})` : ''}; retry shortly`,
      warnings,
    );
  const allowedTiers = tenant?.spec?.quotas?.allowedTiers;
  for (const plugin of addedPlugins) {
    if (facts.pluginTierPending?.(plugin))
      return forbid(
        `the tier of plugin "${plugin}" is being looked up in the plugin registry (it is not in its public ` +
          `index): retry in a few seconds`,
        warnings,
      );
    const tier = facts.pluginTier(plugin);
    if (allowedTiers && tier && !allowedTiers.includes(tier as never))
      return forbid(
        `plugin "${plugin}" is tier ${tier}; tenant ${tenantName} allows only ${allowedTiers.join(', ')} ` +
          `plugins (spec.quotas.allowedTiers)`,
        warnings,
      );
    if (tier !== 'premium') continue;
    if (!tenantName)
      return forbid(
        `plugin "${plugin}" is a premium plugin and needs a license: deploy the app in a namespace of a ` +
          `WorkflowTenant whose license includes it`,
        warnings,
      );
    if (!license)
      return forbid(
        `plugin "${plugin}" is a premium plugin; tenant ${tenantName} has no license: set ` +
          `spec.licenseSecretRef on the WorkflowTenant`,
        warnings,
      );
    if (!license.valid || !license.claims)
      return forbid(
        `plugin "${plugin}" is a premium plugin; tenant ${tenantName}'s license is not valid ` +
          `(${license.reason}): ${licenseText(tenantName, license, facts)}`,
        warnings,
      );
    const problem = premiumPluginProblem(license.claims, plugin);
    if (problem) return forbid(`plugin "${plugin}" is a premium plugin; tenant ${tenantName}'s ${problem}`, warnings);
  }

  // License: no new apps and no growth under an invalid license; running apps are left alone.
  if (tenantName && license && !license.valid && (creating || moreReplicas)) {
    const what = creating
      ? 'new apps are refused'
      : `scaling up (${prevFoot?.replicas ?? 0} -> ${nextFoot.replicas} replicas) is refused`;
    return forbid(
      `tenant ${tenantName}'s license is not valid (${license.reason}): ` +
        `${licenseText(tenantName, license, facts)}; ${what}, running apps keep running`,
      warnings,
    );
  }

  // Quotas: the lower of the tenant's and the license's.
  if (tenant && tenantName) {
    const limits = effectiveLimits(tenant.spec?.quotas, license?.claims);
    const usage = facts.usage(tenantName, key);
    const from = (quota: number | undefined, lic: number | undefined) =>
      quota !== undefined && (!lic || quota <= lic) ? 'spec.quotas of the WorkflowTenant' : 'the license';
    if (creating && limits.maxApps !== undefined && usage.apps + 1 > limits.maxApps)
      return forbid(
        `tenant ${tenantName} already has ${usage.apps} of its ${limits.maxApps} apps (maxApps, from ` +
          `${from(tenant.spec?.quotas?.maxApps, license?.claims?.maxApps)}): delete an app or raise the limit`,
        warnings,
      );
    if (moreReplicas && limits.maxReplicas !== undefined && usage.replicas + nextFoot.replicas > limits.maxReplicas)
      return forbid(
        `tenant ${tenantName} would run ${usage.replicas + nextFoot.replicas} replicas, over its limit of ` +
          `${limits.maxReplicas} (maxReplicas, from ` +
          `${from(tenant.spec?.quotas?.maxReplicas, license?.claims?.maxReplicas)}; ${usage.replicas} in ` +
          `other apps, ${nextFoot.replicas} asked for ${req.name})`,
        warnings,
      );
    if (addedPlugins.length && limits.maxPlugins !== undefined) {
      const all = new Set([...usage.pluginNames, ...nextFoot.plugins]);
      if (all.size > limits.maxPlugins)
        return forbid(
          `tenant ${tenantName} would use ${all.size} distinct plugins, over its limit of ` +
            `${limits.maxPlugins} (maxPlugins, from ` +
            `${from(tenant.spec?.quotas?.maxPlugins, license?.claims?.maxPlugins)})`,
          warnings,
        );
    }
  }

  warnings.push(...(tenantName ? licenseWarnings(tenantName, license, facts.now) : []));
  const reserve =
    tenantName && (creating || moreReplicas || addedPlugins.length)
      ? { tenant: tenantName, footprint: nextFoot }
      : undefined;
  return allow(tenantName ? `admitted for tenant ${tenantName}` : 'admitted (no tenant)', warnings, reserve);
}

function licenseText(tenant: string, l: LicenseStatus, facts: AdmissionFacts): string {
  return (l.reason === 'NoKey' && facts.licenseProblem?.(tenant)) || l.message;
}

function scaleReplicas(obj: Record<string, unknown> | null): number | undefined {
  const spec = obj?.spec as { replicas?: unknown } | undefined;
  return typeof spec?.replicas === 'number' ? spec.replicas : undefined;
}

/** The mutating webhook: the tenant label, defaulted from the namespace's tenant. JSON Patch ops. */
export function tenantLabelPatch(
  req: AdmissionRequestFacts,
  facts: Pick<AdmissionFacts, 'tenantOfNamespace'>,
): Array<{ op: 'add'; path: string; value: unknown }> {
  if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.subResource) return [];
  const tenant = facts.tenantOfNamespace(req.namespace)?.metadata.name;
  const meta = (req.object?.metadata ?? undefined) as { labels?: Record<string, string> } | undefined;
  if (!tenant || !meta || meta.labels?.[api.labels.tenant]) return [];
  const escaped = api.labels.tenant.replace(/~/g, '~0').replace(/\//g, '~1');
  return meta.labels
    ? [{ op: 'add', path: `/metadata/labels/${escaped}`, value: tenant }]
    : [{ op: 'add', path: '/metadata/labels', value: { [api.labels.tenant]: tenant } }];
}
