// plugins/configprovider: config.provider, the application configuration registry behind
// `{{config "key"}}` (upstream plugins/configprovider).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { configProviderHook, configProviderSchema, createConfigProvider } from './config-provider.ts';

export const configProviderPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'config.provider': createConfigProvider },
  moduleSchemas: { 'config.provider': configProviderSchema },
  configTransformHooks: [configProviderHook],
};

export { ConfigProviderModule, CONFIG_REGISTRY_SERVICE } from './config-provider.ts';
export { ConfigRegistry } from './config-registry.ts';
