// plugins/datastores: nosql.memory, nosql.redis and the step.nosql_* steps.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createMemoryNoSql, memoryNoSqlSchema } from './memory-nosql.ts';
import { createRedisNoSql, redisNoSqlSchema } from './redis-nosql.ts';
import {
  createNoSqlDeleteStep,
  createNoSqlGetStep,
  createNoSqlPutStep,
  createNoSqlQueryStep,
  nosqlDeleteSchema,
  nosqlGetSchema,
  nosqlPutSchema,
  nosqlQuerySchema,
} from './nosql-steps.ts';

export const datastoresPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'nosql.memory': createMemoryNoSql, 'nosql.redis': createRedisNoSql },
  moduleSchemas: { 'nosql.memory': memoryNoSqlSchema, 'nosql.redis': redisNoSqlSchema },
  steps: {
    'step.nosql_get': createNoSqlGetStep,
    'step.nosql_put': createNoSqlPutStep,
    'step.nosql_delete': createNoSqlDeleteStep,
    'step.nosql_query': createNoSqlQueryStep,
  },
  stepSchemas: {
    'step.nosql_get': nosqlGetSchema,
    'step.nosql_put': nosqlPutSchema,
    'step.nosql_delete': nosqlDeleteSchema,
    'step.nosql_query': nosqlQuerySchema,
  },
};

export { MemoryNoSql, NoSqlStoreCap, type NoSqlStore } from './memory-nosql.ts';
