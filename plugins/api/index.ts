// plugins/api: api.handler (REST resources), api.command and api.query (route pipelines / delegate) and
// data.transformer (UPSTREAM.md 2.2 "API").
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { apiHandlerSchema, createApiHandler } from './api-handler.ts';
import { apiCommandSchema, apiQuerySchema, createApiCommand, createApiQuery } from './api-command.ts';
import { createDataTransformer, dataTransformerSchema } from './data-transformer.ts';

export const apiPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'api.handler': createApiHandler,
    'api.command': createApiCommand,
    'api.query': createApiQuery,
    'data.transformer': createDataTransformer,
  },
  moduleSchemas: {
    'api.handler': apiHandlerSchema,
    'api.command': apiCommandSchema,
    'api.query': apiQuerySchema,
    'data.transformer': dataTransformerSchema,
  },
};

export { ApiHandler } from './api-handler.ts';
export { ApiCommandHandler } from './api-command.ts';
export { DataTransformer } from './data-transformer.ts';
export { applyOperations, type TransformOperation } from './transform-ops.ts';
export type { RestResource } from './resource-store.ts';
