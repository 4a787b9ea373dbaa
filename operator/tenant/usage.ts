// Usage and limits of a tenant, pure: what its apps use (replicas, distinct plugins), the limits that
// apply (the lower of the tenant's quotas and its license's), and how the two compare.
import type { LicenseClaims } from '../../license/index.ts';
import type { WorkflowApp } from '../api/types.ts';
import type { TenantLimits, TenantQuotas, TenantUsage } from './types.ts';

/** What one app counts for. */
export interface AppFootprint {
  replicas: number;
  plugins: string[];
}

export function footprint(app: Pick<WorkflowApp, 'spec'>): AppFootprint {
  const replicas = app.spec?.replicas;
  return {
    replicas: typeof replicas === 'number' && replicas >= 0 ? replicas : 1,
    plugins: (app.spec?.plugins ?? []).map((p) => p?.name).filter((n): n is string => typeof n === 'string'),
  };
}

export function sumUsage(footprints: Iterable<AppFootprint>): TenantUsage & { pluginNames: string[] } {
  let apps = 0;
  let replicas = 0;
  const plugins = new Set<string>();
  for (const f of footprints) {
    apps++;
    replicas += f.replicas;
    for (const p of f.plugins) plugins.add(p);
  }
  return { apps, replicas, plugins: plugins.size, pluginNames: [...plugins].sort() };
}

/** The lower of two limits; undefined or (for a license) 0 means none. */
function lower(quota: number | undefined, license: number | undefined): number | undefined {
  const l = license ? license : undefined;
  if (quota === undefined) return l;
  if (l === undefined) return quota;
  return Math.min(quota, l);
}

export function effectiveLimits(quotas: TenantQuotas | undefined, claims: LicenseClaims | undefined): TenantLimits {
  const out: TenantLimits = {};
  const apps = lower(quotas?.maxApps, claims?.maxApps);
  const replicas = lower(quotas?.maxReplicas, claims?.maxReplicas);
  const plugins = lower(quotas?.maxPlugins, claims?.maxPlugins);
  if (apps !== undefined) out.maxApps = apps;
  if (replicas !== undefined) out.maxReplicas = replicas;
  if (plugins !== undefined) out.maxPlugins = plugins;
  return out;
}

/** "2/3", or "2" when there is no limit: for kubectl's printer columns. */
export function usageDisplay(
  usage: TenantUsage,
  limits: TenantLimits,
): { apps: string; replicas: string; plugins: string } {
  const show = (n: number, max: number | undefined) => (max === undefined ? String(n) : `${n}/${max}`);
  return {
    apps: show(usage.apps, limits.maxApps),
    replicas: show(usage.replicas, limits.maxReplicas),
    plugins: show(usage.plugins, limits.maxPlugins),
  };
}

/** Limits the usage exceeds (after a limit was lowered, or apps that predate it). */
export function overLimits(usage: TenantUsage, limits: TenantLimits): string[] {
  const out: string[] = [];
  if (limits.maxApps !== undefined && usage.apps > limits.maxApps)
    out.push(`${usage.apps} apps (max ${limits.maxApps})`);
  if (limits.maxReplicas !== undefined && usage.replicas > limits.maxReplicas)
    out.push(`${usage.replicas} replicas (max ${limits.maxReplicas})`);
  if (limits.maxPlugins !== undefined && usage.plugins > limits.maxPlugins)
    out.push(`${usage.plugins} plugins (max ${limits.maxPlugins})`);
  return out;
}
