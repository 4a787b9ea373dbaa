// operator/: public surface. Other folders import it only through this file.

// The WorkflowApp resource: names, types, schema checks, the generated CRD.
export * as workflowAppApi from './api/constants.ts';
export type {
  WorkflowApp,
  WorkflowAppSpec,
  WorkflowAppStatus,
  Condition,
  ResolvedPlugin,
  PluginRequest,
} from './api/types.ts';
export {
  validateWorkflowAppObject,
  validateWorkflowTenantObject,
  pointerToFieldPath,
  type SchemaProblem,
} from './api/schema.ts';
export {
  workflowAppCrd,
  workflowSourceCrd,
  workflowTenantCrd,
  workflowAppCrdYaml,
  crdFileName,
  crdYaml,
  generatedCrds,
} from './api/crd.ts';
export { effectiveSpec } from './api/defaults.ts';
export { workflowAppFromFile, appNameFrom, type DeployOptions } from './api/from-config.ts';

// The WorkflowSource resource (GitOps): names, status types.
export * as workflowSourceApi from './api/source-constants.ts';
export type {
  WorkflowSource,
  WorkflowSourceSpec,
  WorkflowSourceStatus,
  ResourceStatus as WorkflowSourceResourceStatus,
  SyncHistoryEntry,
  SyncStatusCode,
  AllowedKind,
} from './api/source-types.ts';
export type { HealthStatus } from './health/health.ts';
export { WorkflowSourceController } from './gitops/controller.ts';
export { GitFetcher, GitTree, FetchError, displayUrl, isRemoteRepo } from './gitops/git-fetch.ts';
export { DirectoryTree, type RepoTree } from './gitops/repo-tree.ts';
export { renderSource, refId, type DesiredObject, type Rendered, type RenderProblem } from './gitops/render-source.ts';
export { checkEmbeddedConfigs } from './gitops/check-configs.ts';
export { hookPath, normalizeRepoUrl } from './gitops/webhook.ts';

// Running the operator, and what it can be given.
export {
  startOperator,
  leaseName,
  type OperatorOptions,
  type RunningOperator,
  type SourceOptions,
  type TenancyOptions,
  type WebhookOptions,
} from './operator.ts';

// Tenants, licenses and admission (the console shows tenants' usage and license from these).
export * as tenantApi from './api/tenant-constants.ts';
export type {
  WorkflowTenant,
  WorkflowTenantSpec,
  WorkflowTenantStatus,
  TenantUsage,
  TenantLimits,
  TenantQuotas,
  TenantLicenseSummary,
} from './tenant/types.ts';
export { TenantView } from './tenant/view.ts';
export type { PluginTierSource } from './plugins/tiers.ts';
export {
  decideWorkflowApp,
  tenantLabelPatch,
  type AdmissionFacts,
  type AdmissionRequestFacts,
  type Decision,
} from './admission/decide.ts';
export { renderWebhookConfigurations, webhookConfigurationNames } from './admission/webhook-config.ts';
export { parseReview, reviewResponse, ReviewError } from './admission/review.ts';
export { admissionFacts } from './admission/server.ts';
export type { OperatorMetrics } from './metrics.ts';
export { yamlConfigValidator, type ConfigValidator, type ConfigCheck } from './config/validator.ts';
export { engineConfigValidator } from './config/engine-validator.ts';
export { PluginResolutionError, type PluginResolver } from './plugins/resolver.ts';
export { registryPluginResolver, type RegistryResolverOptions } from './plugins/registry-resolver.ts';

// Rendering without a cluster (wfctl, benchmarks).
export { renderSteadyState, type OwnedObject } from './render/render.ts';
export { prepareEngineConfig } from './render/engine-config.ts';

// The Kubernetes client wrapper.
export { KubeClient, loadKubeConfig } from './kube/client.ts';
export { KubeApiError, KubeUnavailableError } from './kube/errors.ts';
export { enableConnectionReuse } from './kube/connection-reuse.ts';
export { ResilientInformer, type InformerEvent, type InformerOptions } from './kube/informer.ts';

// For tests and benchmarks that run many engine pods.
export { startEngineStandins, type EngineStandins } from './testing/engine-standin.ts';
