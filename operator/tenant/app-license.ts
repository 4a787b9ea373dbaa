// LicenseValid on each WorkflowApp, pure: is the app licensed for what it runs? It informs and never
// acts: an app whose license lapsed (server unreachable past grace, expiry, revocation) keeps running;
// admission refuses new apps, premium plugins and more replicas instead.
import type { LicenseStatus } from '../../license/index.ts';
import { premiumPluginProblem } from '../../license/index.ts';
import type { WorkflowApp } from '../api/types.ts';
import type { ConditionUpdate } from '../controller/conditions.ts';
import type { WorkflowTenant } from './types.ts';
import { footprint } from './usage.ts';

export interface AppLicenseFacts {
  tenantOfNamespace(namespace: string): WorkflowTenant | undefined;
  license(tenant: string): LicenseStatus | undefined;
  pluginTier(name: string): string | undefined;
}

export function appLicenseCondition(app: WorkflowApp, facts: AppLicenseFacts): ConditionUpdate {
  const tenant = facts.tenantOfNamespace(app.metadata.namespace)?.metadata.name;
  const license = tenant ? facts.license(tenant) : undefined;
  const premium = footprint(app).plugins.filter((p) => facts.pluginTier(p) === 'premium');
  const keeps = 'the app keeps running; new premium plugins and more replicas are refused until it is fixed';
  if (license && !license.valid)
    return {
      type: 'LicenseValid',
      status: 'False',
      reason: license.reason,
      message: `tenant ${tenant}: ${license.message}; ${keeps}`,
    };
  for (const plugin of premium) {
    const problem = !license?.claims
      ? `premium plugin "${plugin}" needs a ` +
        `license${tenant ? ` and tenant ${tenant} has none` : ' (the app belongs to no tenant)'}`
      : premiumPluginProblem(license.claims, plugin);
    if (problem)
      return { type: 'LicenseValid', status: 'False', reason: 'NotLicensed', message: `${problem}; ${keeps}` };
  }
  if (license?.valid && license.claims)
    return {
      type: 'LicenseValid',
      status: 'True',
      reason: license.source === 'grace' ? 'GracePeriod' : 'Valid',
      message:
        `tenant ${tenant}: ` +
        `${license.message}${premium.length ? `; premium plugins ${premium.join(', ')} licensed` : ''}`,
    };
  return {
    type: 'LicenseValid',
    status: 'True',
    reason: 'NotRequired',
    message: tenant
      ? `tenant ${tenant} has no license; the app uses no premium plugin`
      : 'the app uses no premium plugin',
  };
}
