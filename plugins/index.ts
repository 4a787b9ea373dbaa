// plugins/: public surface. Other folders import it only through this file.
// `corePlugins` is the built-in plugin list every engine loads (order = load order, as upstream's
// plugins/all.DefaultPlugins).
import type { EnginePlugin } from '../engine/index.ts';
import { licensePlugin } from './license/index.ts';
import { httpPlugin } from './http/index.ts';
import { openApiPlugin } from './openapi/index.ts';
import { observabilityPlugin } from './observability/index.ts';
import { messagingPlugin } from './messaging/index.ts';
import { statemachinePlugin } from './statemachine/index.ts';
import { authPlugin } from './auth/index.ts';
import { storagePlugin } from './storage/index.ts';
import { apiPlugin } from './api/index.ts';
import { pipelineStepsPlugin } from './pipelinesteps/index.ts';
import { featureFlagsPlugin } from './featureflags/index.ts';
import { modularCompatPlugin } from './modularcompat/index.ts';
import { schedulerPlugin } from './scheduler/index.ts';
import { datastoresPlugin } from './datastores/index.ts';
import { platformPlugin } from './platform/index.ts';
import { actorsPlugin } from './actors/index.ts';
import { adminPlugin } from './admin/index.ts';
import { marketplacePlugin } from './marketplace/index.ts';
import { dlqPlugin } from './dlq/index.ts';
import { policyPlugin } from './policy/index.ts';
import { eventStorePlugin } from './eventstore/index.ts';
import { timelinePlugin } from './timeline/index.ts';
import { secretsPlugin } from './secrets/index.ts';
import { cicdPlugin } from './cicd/index.ts';
import { configProviderPlugin } from './configprovider/index.ts';

export { httpPlugin } from './http/index.ts';
export { observabilityPlugin } from './observability/index.ts';
export { pipelineStepsPlugin } from './pipelinesteps/index.ts';
export { licensePlugin } from './license/index.ts';
export { openApiPlugin } from './openapi/index.ts';
export { messagingPlugin } from './messaging/index.ts';
export { statemachinePlugin } from './statemachine/index.ts';
export { authPlugin } from './auth/index.ts';
export { storagePlugin } from './storage/index.ts';
export { apiPlugin } from './api/index.ts';
export { featureFlagsPlugin } from './featureflags/index.ts';
export { modularCompatPlugin } from './modularcompat/index.ts';
export { schedulerPlugin } from './scheduler/index.ts';
export { datastoresPlugin } from './datastores/index.ts';
export { platformPlugin } from './platform/index.ts';
export { actorsPlugin } from './actors/index.ts';
export { adminPlugin, AdminConfigError, withAdmin, type AdminOptions } from './admin/index.ts';
export { marketplacePlugin } from './marketplace/index.ts';
export { dlqPlugin } from './dlq/index.ts';
export { policyPlugin } from './policy/index.ts';
export { eventStorePlugin } from './eventstore/index.ts';
export { timelinePlugin } from './timeline/index.ts';
export { secretsPlugin } from './secrets/index.ts';
export { cicdPlugin } from './cicd/index.ts';
export { configProviderPlugin } from './configprovider/index.ts';

export const corePlugins: EnginePlugin[] = [
  licensePlugin,
  configProviderPlugin,
  httpPlugin,
  openApiPlugin,
  observabilityPlugin,
  messagingPlugin,
  statemachinePlugin,
  authPlugin,
  policyPlugin,
  storagePlugin,
  apiPlugin,
  pipelineStepsPlugin,
  featureFlagsPlugin,
  modularCompatPlugin,
  schedulerPlugin,
  datastoresPlugin,
  platformPlugin,
  actorsPlugin,
  adminPlugin,
  marketplacePlugin,
  dlqPlugin,
  eventStorePlugin,
  timelinePlugin,
  secretsPlugin,
  cicdPlugin,
];
