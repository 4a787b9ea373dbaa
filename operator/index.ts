// operator/: public surface. Other folders import it only through this file.
export * as workflowAppApi from './api/constants.ts';
export type { WorkflowApp, WorkflowAppSpec, WorkflowAppStatus, Condition, ResolvedPlugin, PluginRequest } from './api/types.ts';
export { validateWorkflowAppObject, pointerToFieldPath, workflowAppSchemaPath, type SchemaProblem } from './api/schema.ts';
export { workflowAppCrd, workflowAppCrdYaml, crdFileName } from './api/crd.ts';
export { startOperator, leaseName, type OperatorOptions, type RunningOperator } from './operator.ts';
export { yamlConfigValidator, type ConfigValidator, type ConfigCheck } from './config/validator.ts';
export { PluginResolutionError, type PluginResolver } from './plugins/resolver.ts';
export { KubeClient, loadKubeConfig } from './kube/client.ts';
export { KubeApiError, KubeUnavailableError } from './kube/errors.ts';
export type { OperatorMetrics } from './metrics.ts';
export { engineConfigValidator } from './config/engine-validator.ts';
export { workflowAppFromFile, appNameFrom, type DeployOptions } from './api/from-config.ts';
export { renderSteadyState, type OwnedObject } from './render/render.ts';
export { prepareEngineConfig } from './render/engine-config.ts';
export { effectiveSpec } from './api/defaults.ts';
export { enableConnectionReuse } from './kube/connection-reuse.ts';
export { engineStandinBinary } from './testing/engine-standin.ts';
export { registryPluginResolver, type RegistryResolverOptions } from './plugins/registry-resolver.ts';
