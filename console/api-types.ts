// The console's HTTP API as types: what console/server sends and console/web reads. Pure types, no
// imports, so both sides (Node and the browser build) compile against the same file.

export interface SessionInfo {
  authenticated: boolean;
  /** Send back in X-CSRF-Token with every POST. */
  csrfToken?: string;
}

export interface Overview {
  clusterServer: string | null;
  registryUrl: string | null;
  licenseUrl: string | null;
  /** Clone URLs of the platform's repositories, when the console runs inside `wfctl up`. */
  repos: Array<{ name: string; url: string }>;
  version: string;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string | null;
}

export interface AppSummary {
  namespace: string;
  name: string;
  phase: string;
  replicas: number;
  readyReplicas: number;
  endpoint: string | null;
  /** NAMESPACE/NAME of the WorkflowSource that applied it, if any. */
  source: string | null;
  tenant: string | null;
  revision: string | null;
  strategy: string;
  /** Why it is not Ready, when it is not. */
  message: string | null;
  createdAt: string | null;
}

export interface PodView {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  track: string | null;
  startedAt: string | null;
  reason: string | null;
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  lastSeen: string | null;
}

export interface DiagramNode {
  id: string;
  kind: 'module' | 'trigger' | 'step';
  label: string;
  detail: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DiagramEdge {
  from: string;
  to: string;
  /** Polyline points, x1,y1 x2,y2 ... */
  points: Array<[number, number]>;
}

export interface Diagram {
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

export interface AppDiagram {
  modules: Diagram;
  pipelines: Diagram;
  /** The same facts as text (the accessible alternative to the pictures). */
  startOrder: string[];
  pipelineList: Array<{ name: string; trigger: string | null; steps: string[] }>;
}

export interface AppDetail {
  app: AppSummary;
  conditions: ConditionView[];
  rollout: Record<string, unknown> | null;
  resolvedPlugins: Array<{ name: string; version: string; range?: string }>;
  pods: PodView[];
  events: EventView[];
  /** The engine config the app runs (spec.config, or its ConfigMap's key). */
  configYaml: string | null;
  configError: string | null;
  diagram: AppDiagram | null;
  /** The WorkflowApp as stored, without managedFields. */
  manifestYaml: string;
}

export interface LogLine {
  pod: string;
  line: string;
}

export interface SourceSummary {
  namespace: string;
  name: string;
  repoURL: string;
  revision: string | null;
  path: string | null;
  suspended: boolean;
  prune: boolean;
  selfHeal: boolean;
  syncStatus: string;
  healthStatus: string;
  syncedRevision: string | null;
  message: string | null;
  lastSyncTime: string | null;
  resourceCount: number;
}

export interface SourceResourceView {
  kind: string;
  namespace: string | null;
  name: string;
  status: string;
  health: string | null;
  message: string | null;
  file: string | null;
  line: number | null;
}

export interface SourceHistoryView {
  revision: string;
  startedAt: string | null;
  durationMs: number | null;
  result: string;
  message: string | null;
}

export interface SourceDetail {
  source: SourceSummary;
  conditions: ConditionView[];
  resources: SourceResourceView[];
  history: SourceHistoryView[];
  manifestYaml: string;
}

export interface UsageView {
  used: number;
  /** null: no limit. */
  limit: number | null;
}

export interface TenantSummary {
  name: string;
  /** false until the operator has written the tenant's status (usage, license). */
  observed: boolean;
  displayName: string;
  namespaces: string[];
  usage: { apps: UsageView; replicas: UsageView; plugins: UsageView };
  license: {
    tier: string | null;
    expiresAt: string | null;
    features: string[];
    valid: boolean | null;
    message: string | null;
  };
  conditions: ConditionView[];
}

/** One kind's objects as the console's watch holds them. */
export interface Collection<T> {
  /** false: the kind is not installed in the cluster (its CRD is missing). */
  available: boolean;
  /** true once the first list arrived. */
  synced: boolean;
  error: string | null;
  items: T[];
}

export type StreamKind = 'apps' | 'sources' | 'tenants';

export interface PluginCard {
  name: string;
  description: string;
  version: string;
  tier: string;
  type: string;
  category: string | null;
  keywords: string[];
}

export interface PluginSearchResult {
  total: number;
  items: PluginCard[];
  /** Values to offer in the filters. */
  facets: { tier: string[]; type: string[]; category: string[] };
}

export interface PluginPage {
  card: PluginCard;
  license: string;
  author: string;
  homepage: string | null;
  repository: string | null;
  revision: string;
  /** Non-empty capability lists: moduleTypes, stepTypes, triggerTypes, ... */
  capabilities: Record<string, string[]>;
  configProvider: boolean;
  versions: Array<{
    version: string;
    publishedAt: string | null;
    yanked: string | null;
    downloads: Array<{ os: string; arch: string; url: string; sha256: string | null; size: number | null }>;
  }>;
  /** The latest version's manifest as published. */
  manifest: unknown;
}

export interface ApiError {
  error: string;
  hint?: string;
}
