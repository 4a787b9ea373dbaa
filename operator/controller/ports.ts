// What reconcile works with: a read-only view of the informer caches and a client for writes.
// Separate from reconcile.ts so the steps it calls can share them.
import type { V1ConfigMap, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WorkflowApp } from '../api/types.ts';
import type { ConfigValidator } from '../config/validator.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { PluginResolver } from '../plugins/resolver.ts';
import type { LiveObjects } from '../rollout/plan.ts';
import type { ConditionUpdate } from './conditions.ts';
import type { WriteMemory } from './up-to-date.ts';

/** What reconcile reads: the informer caches. */
export interface AppCache {
  app(namespace: string, name: string): WorkflowApp | undefined;
  owned(app: WorkflowApp): LiveObjects;
  configMap(namespace: string, name: string): V1ConfigMap | undefined;
  /** Any object of a kind the operator creates, ours or not: a name must be free before it is taken. */
  existing(kind: 'ConfigMap' | 'Deployment' | 'Service', namespace: string, name: string): KubernetesObject | undefined;
}

/** What reconcile writes with. */
export interface ApplyClient {
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<void>;
  delete(obj: KubernetesObject): Promise<void>;
  patchAppStatus(app: WorkflowApp, patch: Record<string, unknown>): Promise<void>;
}

export interface ReconcileDeps {
  cache: AppCache;
  client: ApplyClient;
  validateConfig: ConfigValidator;
  plugins: PluginResolver;
  /** Names of plugins built into the engine: `requires.plugins` naming one needs no registry. */
  builtinPlugins?: ReadonlySet<string>;
  /** Registry the engine pods fetch locked plugins from (WORKFLOW_REGISTRY_URL). */
  pluginRegistryUrl?: string;
  events: EventRecorder;
  now: () => number;
  defaultImage: string;
  memory: WriteMemory;
  /** LicenseValid for the app (tenancy on); informs only, never blocks a reconcile. */
  licenseCondition?: (app: WorkflowApp) => ConditionUpdate;
  logger?: Logger;
}

export interface ReconcileResult {
  /** Run again after this long even without a watch event (canary pauses, registry retries). */
  requeueAfterMs?: number;
}
