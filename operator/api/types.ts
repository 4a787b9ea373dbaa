// The WorkflowApp resource as TypeScript sees it. The JSON Schema (schema/workflowapp.schema.json)
// is the source of truth for validation and the CRD; these types mirror it for the code.
import type { V1ObjectMeta, V1EnvVar, V1EnvFromSource } from '@kubernetes/client-node';

export type StrategyType = 'RollingUpdate' | 'Recreate' | 'BlueGreen' | 'Canary';
export type IntOrString = number | string;

export interface PluginRequest {
  name: string;
  /** semver range; "*" when unset. */
  version?: string;
}

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface CanaryStep {
  weight: number;
  pauseSeconds?: number;
}

export interface WorkflowAppSpec {
  config?: string;
  configMapRef?: { name: string; key?: string };
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  replicas?: number;
  plugins?: PluginRequest[];
  resources?: { limits?: Record<string, IntOrString>; requests?: Record<string, IntOrString> };
  env?: V1EnvVar[];
  envFrom?: V1EnvFromSource[];
  service?: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    annotations?: Record<string, string>;
    ports?: ServicePortSpec[];
  };
  strategy?: {
    type?: StrategyType;
    rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
    canary?: { steps?: CanaryStep[] };
    blueGreen?: { previewService?: boolean };
    progressDeadlineSeconds?: number;
  };
  suspend?: boolean;
  licenseSecretRef?: { name: string; key?: string };
  tenant?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition (KEP-1623). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type Phase = 'Pending' | 'Progressing' | 'Running' | 'Degraded' | 'Suspended' | 'Failed';

export interface ResolvedPlugin {
  name: string;
  range?: string;
  version: string;
  sha256?: string;
  url?: string;
  /** Key id of the publisher signature the registry verified (the pod verifies it again). */
  signer?: string;
  /** The registry's URL of the plugin (recorded in the lock). */
  source?: string;
}

export interface RolloutStatus {
  strategy?: string;
  stableRevision?: string;
  targetRevision?: string;
  activeColor?: 'blue' | 'green';
  step?: number;
  stepStartedAt?: string;
  canaryWeight?: number;
  abortedRevision?: string;
}

export interface WorkflowAppStatus {
  observedGeneration?: number;
  phase?: Phase;
  conditions?: Condition[];
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  selector?: string;
  endpoint?: string;
  configHash?: string;
  revision?: string;
  resolvedPlugins?: ResolvedPlugin[];
  rollout?: RolloutStatus;
}

export interface WorkflowApp {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: WorkflowAppSpec;
  status?: WorkflowAppStatus;
}

/** `namespace/name`: the work-queue key of an app. */
export type AppKey = string;

export function appKey(namespace: string, name: string): AppKey {
  return `${namespace}/${name}`;
}

export function splitKey(key: AppKey): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
