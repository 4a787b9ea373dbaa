// step.cache_get / cache_set / cache_delete against a cache module named by `cache`* (cache.redis,
// cache.modular). Keys (and values) are templates. get: `output` (value), `miss_ok` (true: a miss
// gives {<output>: "", cache_hit: false}; false: a miss fails the step). set: `value`*, `ttl`
// (default: the cache's) -> {cached: true}. delete -> {deleted: true}.
import {
  CacheStoreCap,
  formatValue,
  type StepBuildContext,
  type StepFactory,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';

const cacheField = { key: 'cache', type: 'string', required: true, description: 'cache module' } as const;
const keyField = { key: 'key', type: 'string', required: true, description: 'key (template)' } as const;

export const cacheGetSchema: TypeSchema = {
  description: 'Reads a value from a cache module',
  configFields: [
    cacheField,
    keyField,
    { key: 'output', type: 'string', default: 'value', description: 'output key of the value' },
    { key: 'miss_ok', type: 'boolean', default: true, description: 'false: a miss fails the step' },
  ],
  outputs: [
    { key: 'value', type: 'string', description: 'under `output`; "" on a miss' },
    { key: 'cache_hit', type: 'boolean' },
  ],
};

export const cacheSetSchema: TypeSchema = {
  description: 'Writes a value to a cache module',
  configFields: [
    cacheField,
    keyField,
    { key: 'value', type: 'string', required: true, description: 'value (template)' },
    { key: 'ttl', type: 'duration', description: "expiry (default: the cache's)" },
  ],
  outputs: [{ key: 'cached', type: 'boolean' }],
};

export const cacheDeleteSchema: TypeSchema = {
  description: 'Deletes a key from a cache module',
  configFields: [cacheField, keyField],
  outputs: [{ key: 'deleted', type: 'boolean' }],
};

function common(spec: StepSpec, ctx: StepBuildContext) {
  const cfg = new ConfigReader(spec.config);
  const cache = moduleRef(ctx, spec, cfg.requiredString('cache', 'cache: sessions'), 'cache', CacheStoreCap);
  const key = ctx.templates.compile(cfg.requiredString('key', 'key: "user:{{ .user_id }}"'), ['key']);
  return { cfg, cache, key };
}

export const createCacheGetStep: StepFactory = (spec, ctx) => {
  const { cfg, cache, key } = common(spec, ctx);
  const output = cfg.string('output', 'value')!;
  const missOk = cfg.boolean('miss_ok', true)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const k = formatValue(key.resolve(pc));
      const value = await cache().get(k);
      if (value === undefined || value === null) {
        if (!missOk) throw new Error(`cache_get "${spec.name}": cache miss for key "${k}"`);
        return { output: { [output]: '', cache_hit: false } };
      }
      return { output: { [output]: value, cache_hit: true } };
    },
  };
};

export const createCacheSetStep: StepFactory = (spec, ctx) => {
  const { cfg, cache, key } = common(spec, ctx);
  const value = ctx.templates.compile(cfg.requiredString('value', 'value: "{{ json .steps.load.row }}"'), ['value']);
  const ttlMs = cfg.duration('ttl');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      await cache().set(formatValue(key.resolve(pc)), formatValue(value.resolve(pc)), ttlMs);
      return { output: { cached: true } };
    },
  };
};

export const createCacheDeleteStep: StepFactory = (spec, ctx) => {
  const { cache, key } = common(spec, ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      await cache().delete(formatValue(key.resolve(pc)));
      return { output: { deleted: true } };
    },
  };
};
