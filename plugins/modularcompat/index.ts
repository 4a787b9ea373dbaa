// plugins/modularcompat: scheduler.modular (cron scheduler that also serves schedule triggers,
// unlike upstream's) and cache.modular (in-memory TTL cache).
import type { EnginePlugin, TypeSchema } from '../../engine/index.ts';
import { createCronSchedulerModule } from '../scheduler/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createMemoryCache, memoryCacheSchema } from './memory-cache.ts';

const schedulerModularSchema: TypeSchema = {
  description:
    'Cron scheduler from the modular framework: runs workflows.scheduler jobs at cronExpression and serves ' +
    'schedule triggers',
  configFields: [
    {
      key: 'cronExpression',
      type: 'string',
      description: 'Schedule for workflows.scheduler jobs bound to this module (5 fields, or 6 with seconds)',
    },
    { key: 'timezone', type: 'string' },
  ],
};

export const modularCompatPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'scheduler.modular': createCronSchedulerModule, 'cache.modular': createMemoryCache },
  moduleSchemas: { 'scheduler.modular': schedulerModularSchema, 'cache.modular': memoryCacheSchema },
};

export { MemoryCache } from './memory-cache.ts';
