// step.db_query_cached (upstream module/pipeline_step_db_query_cached.go): step.db_query's SQL and
// params (no templates in the SQL, ever), first row only, cached by a templated `cache_key` for
// `cache_ttl` (5m). The cache is the step's own in-process LRU (a cache.modular MemoryCache), or,
// beyond upstream, a cache module named by `cache` (cache.redis shares hits across processes).
// Output: the row's columns (only `scan_fields` when set) plus `cache_hit`.
import {
  CacheStoreCap,
  type CacheStore,
  type ConfigMap,
  type PipelineContext,
  type Step,
  type StepBuildContext,
  type StepResult,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { MemoryCache } from '../modularcompat/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import { sqlStepParts } from './db-steps.ts';

export const dbQueryCachedStepSchema: TypeSchema = {
  description: 'Run a SELECT and cache its first row by a templated key for a TTL',
  configFields: [
    { key: 'database', type: 'string', required: true, description: 'Database module name' },
    { key: 'query', type: 'sql', required: true, description: 'SQL with positional parameters; no templates' },
    { key: 'params', type: 'array', description: 'Parameter values (templates allowed), in order' },
    { key: 'cache_key', type: 'string', required: true, description: 'Cache key (template)' },
    { key: 'cache_ttl', type: 'duration', default: '5m', description: 'How long a result is reused' },
    { key: 'scan_fields', type: 'array', description: 'Columns to keep (default: all)' },
    { key: 'cache', type: 'string', description: 'Cache module (cache.redis, cache.modular); default in-process' },
  ],
  outputs: [{ key: 'cache_hit', type: 'boolean', description: 'plus the row columns' }],
  validate(config) {
    const q = config.query;
    return typeof q === 'string' && q.includes('{{')
      ? [
          {
            message: 'query must not contain template expressions (use params instead)',
            path: ['query'],
            hint: 'pass values through params ($1, $2 ...)',
          },
        ]
      : [];
  },
};

const LOCAL_CACHE_ENTRIES = 10_000;

export function createDbQueryCachedStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  // upstream has no allow_dynamic_sql here: the SQL text is always fixed
  const parts = sqlStepParts({ ...spec, config: { ...spec.config, allow_dynamic_sql: false } }, ctx);
  const key = ctx.templates.compile(c.requiredString('cache_key'), ['cache_key']);
  const ttlMs = c.duration('cache_ttl', 300_000)!;
  const fields = c.stringList('scan_fields');
  const cacheName = c.string('cache') || undefined;
  const shared = cacheName ? moduleRef(ctx, spec, cacheName, 'cache', CacheStoreCap) : undefined;
  const local = new MemoryCache(`${spec.pipeline}.${spec.name}`, { maxSize: LOCAL_CACHE_ENTRIES });
  const cache = (): CacheStore => (shared ? shared() : local);

  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const cacheKey = String(key.resolve(pc));
      const hit = await cache().get(cacheKey);
      if (typeof hit === 'string') return { output: { ...(JSON.parse(hit) as ConfigMap), cache_hit: true } };
      const row = (await parts.database().queryRows(parts.sql(pc), parts.params(pc)))[0] ?? {};
      const output: ConfigMap = {};
      for (const [col, value] of Object.entries(row)) {
        if (fields.length === 0 || fields.includes(col))
          output[col] = Buffer.isBuffer(value) ? value.toString() : value;
      }
      await cache().set(cacheKey, JSON.stringify(output), ttlMs);
      return { output: { ...output, cache_hit: false } };
    },
  };
}
