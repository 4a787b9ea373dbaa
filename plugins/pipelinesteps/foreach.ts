// step.foreach: runs `step`/`steps` once per item of `collection` (dotted path or template) with
// `item_var` (item) and `index_key` (index) set; `concurrency` items at a time;
// `error_strategy` fail_fast (default) | collect_errors. Output {count, results, error_count, errors}.
import { ConfigValueError, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { childContext, mapLimit, runSteps } from './nested-run.ts';
import { decodeJsonLike, oneOf, optNumber, optString, pathOrTemplate, reqString } from './step-config.ts';

export const foreachSchema: TypeSchema = {
  description: 'Runs nested steps for every item of a collection',
  configFields: [
    { key: 'collection', type: 'string', required: true, description: 'dotted path or template of a list' },
    { key: 'item_var', type: 'string', default: 'item', aliases: ['item_key'] },
    { key: 'index_key', type: 'string', default: 'index' },
    { key: 'step', type: 'map', description: 'one nested step' },
    { key: 'steps', type: 'array', description: 'nested steps' },
    { key: 'concurrency', type: 'number', default: 1 },
    { key: 'error_strategy', type: 'select', options: ['fail_fast', 'collect_errors'], default: 'fail_fast' },
  ],
  outputs: [
    { key: 'count', type: 'number' },
    { key: 'results', type: 'array' },
    { key: 'error_count', type: 'number' },
  ],
};

export const createForeachStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const read = pathOrTemplate(ctx, reqString(cfg, 'collection', 'collection: steps.fetch.rows'), ['collection']);
  const itemVar = optString(cfg, 'item_var') ?? optString(cfg, 'item_key') ?? 'item';
  const indexKey = optString(cfg, 'index_key', 'index')!;
  const concurrency = Math.max(1, Math.floor(optNumber(cfg, 'concurrency', 1)!));
  const strategy = oneOf(cfg, 'error_strategy', ['fail_fast', 'collect_errors'] as const, 'fail_fast');
  const specs = Array.isArray(cfg.steps) ? cfg.steps : cfg.step !== undefined ? [cfg.step] : undefined;
  if (!specs || specs.length === 0) throw new ConfigValueError('foreach needs "step" or "steps"', { path: ['steps'] });
  const steps = ctx.buildSteps(specs, [Array.isArray(cfg.steps) ? 'steps' : 'step']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const raw = decodeJsonLike(read(pc));
      const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : undefined;
      if (!items) throw new Error(`foreach "${spec.name}": collection is not a list`);
      const errors: Array<{ index: number; error: string }> = [];
      const results = await mapLimit(items, concurrency, async (item, index) => {
        try {
          return await runSteps(steps, childContext(pc, { [itemVar]: item, [indexKey]: index }));
        } catch (err) {
          if (strategy === 'fail_fast') throw new Error(`item ${index}: ${(err as Error).message}`);
          errors.push({ index, error: (err as Error).message });
          return { _error: (err as Error).message } as ConfigMap;
        }
      });
      errors.sort((a, b) => a.index - b.index);
      return {
        output: { count: items.length, results, error_count: errors.length, ...(errors.length ? { errors } : {}) },
      };
    },
  };
};
