// plugins/marketplace: upstream's step.marketplace_* over the plugin registry and installer.
import { type EnginePlugin, pluginManifestInfo } from '../../engine/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { marketplaceSchemas, marketplaceSteps } from './marketplace-steps.ts';

export const marketplacePlugin: EnginePlugin = {
  manifest: pluginManifestInfo(manifest),
  steps: marketplaceSteps,
  stepSchemas: marketplaceSchemas,
};
