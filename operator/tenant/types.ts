// The WorkflowTenant resource as TypeScript sees it; schema/workflowtenant.schema.json is the source
// of truth for validation and the CRD.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Condition } from '../api/types.ts';

export type PluginTierName = 'core' | 'community' | 'premium';

export interface TenantQuotas {
  maxApps?: number;
  maxReplicas?: number;
  maxPlugins?: number;
  allowedTiers?: PluginTierName[];
}

export interface WorkflowTenantSpec {
  displayName?: string;
  namespaces?: string[];
  licenseSecretRef?: { name: string; namespace?: string; key?: string };
  quotas?: TenantQuotas;
  users?: string[];
  groups?: string[];
}

export interface TenantUsage {
  apps: number;
  replicas: number;
  plugins: number;
  pluginNames?: string[];
}

/** Effective limits: absent = no limit. */
export interface TenantLimits {
  maxApps?: number;
  maxReplicas?: number;
  maxPlugins?: number;
}

export interface TenantLicenseSummary {
  id?: string;
  tier?: string;
  organization?: string;
  expiresAt?: string;
  features?: string[];
  valid: boolean;
  reason: string;
  source?: string;
  lastValidated?: string;
}

export interface WorkflowTenantStatus {
  observedGeneration?: number;
  namespaces?: string[];
  usage?: TenantUsage;
  limits?: TenantLimits;
  display?: { apps: string; replicas: string; plugins: string };
  license?: TenantLicenseSummary;
  conditions?: Condition[];
}

export interface WorkflowTenant {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  spec: WorkflowTenantSpec;
  status?: WorkflowTenantStatus;
}
