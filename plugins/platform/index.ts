// plugins/platform: platform.context.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createPlatformContext, platformContextSchema } from './platform-context.ts';

export const platformPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'platform.context': createPlatformContext },
  moduleSchemas: { 'platform.context': platformContextSchema },
};

export { PlatformContextModule } from './platform-context.ts';
export { parseTemplates, renderTemplate, type PlatformTemplate } from './platform-template.ts';
