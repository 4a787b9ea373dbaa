// The WorkflowSource resource as TypeScript sees it. schema/workflowsource.schema.json is the
// source of truth for the CRD; these types mirror it for the code.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { HealthStatus } from '../health/health.ts';
import type { Condition } from './types.ts';

export interface AllowedKind {
  group?: string;
  kind: string;
}

export interface WorkflowSourceSpec {
  repoURL: string;
  revision?: string;
  path?: string;
  interval?: string;
  prune?: boolean;
  selfHeal?: boolean;
  secretRef?: { name: string };
  targetNamespace?: string;
  suspend?: boolean;
  include?: string[];
  exclude?: string[];
  tenant?: string;
  allowedKinds?: AllowedKind[];
}

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type ResourceSyncStatus = 'Synced' | 'OutOfSync' | 'Failed' | 'Refused' | 'Pruned' | 'PruneSkipped';
export type SyncResult = 'Succeeded' | 'PartiallySucceeded' | 'Failed';

export interface ResourceStatus {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status: ResourceSyncStatus;
  health?: HealthStatus;
  message?: string;
  file?: string;
  line?: number;
}

export interface SyncHistoryEntry {
  revision: string;
  start: string;
  duration: string;
  result: SyncResult;
  message?: string;
}

export interface WorkflowSourceStatus {
  observedGeneration?: number;
  sync?: { status: SyncStatusCode; revision?: string; message?: string; author?: string };
  health?: { status: HealthStatus; message?: string };
  resources?: ResourceStatus[];
  conditions?: Condition[];
  history?: SyncHistoryEntry[];
  lastSyncTime?: string;
  lastHandledSyncRequest?: string;
}

export interface WorkflowSource {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: WorkflowSourceSpec;
  status?: WorkflowSourceStatus;
}
