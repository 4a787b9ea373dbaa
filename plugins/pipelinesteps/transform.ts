// step.transform: applies data operations to Current (or `source`): inline `operations`
// (extract {path} | map {mappings: old -> new} | filter {fields} | convert {from, to}), or a named
// pipeline of a data transformer service (`transformer` + `pipeline`). A map result becomes the
// step output; anything else is output as `result`.
import { setOwn } from '../../security/index.ts';
import {
  ConfigValueError,
  DataTransformerCap,
  isPlainMap,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { getPath, optString } from './step-config.ts';

export const transformSchema: TypeSchema = {
  description: 'Transforms data with extract/map/filter/convert operations or a data.transformer pipeline',
  configFields: [
    { key: 'operations', type: 'array', description: 'list of {type, config}' },
    { key: 'transformer', type: 'string', description: 'data transformer service name' },
    { key: 'pipeline', type: 'string', description: "the transformer's named pipeline" },
    { key: 'source', type: 'string', description: 'dotted path of the input (default: Current)' },
  ],
};

export interface TransformOperation {
  type: string;
  config: ConfigMap;
}

/** Pure: apply operations in order (upstream data.transformer semantics). */
export function applyOperations(ops: readonly TransformOperation[], data: unknown): unknown {
  let cur = data;
  ops.forEach((op, i) => {
    const fail = (msg: string) => new Error(`operation ${i} (${op.type}) failed: ${msg}`);
    switch (op.type) {
      case 'extract': {
        const path = String(op.config.path ?? '');
        const v = getPath(cur, path);
        if (v === undefined) throw fail(`path "${path}" not found`);
        cur = v;
        break;
      }
      case 'map': {
        if (!isPlainMap(cur)) throw fail('input is not a map');
        const out: ConfigMap = { ...cur };
        for (const [from, to] of Object.entries((op.config.mappings ?? {}) as ConfigMap)) {
          if (typeof to === 'string' && Object.hasOwn(out, from)) {
            setOwn(out, to, out[from]);
            delete out[from];
          }
        }
        cur = out;
        break;
      }
      case 'filter': {
        if (!isPlainMap(cur)) throw fail('input is not a map');
        const keep = new Set((Array.isArray(op.config.fields) ? op.config.fields : []).map(String));
        cur = Object.fromEntries(Object.entries(cur).filter(([k]) => keep.has(k)));
        break;
      }
      case 'convert': {
        const from = op.config.from;
        const to = op.config.to;
        if (from === 'json' && to === 'json') cur = JSON.parse(JSON.stringify(cur ?? null));
        else if (from === 'json' && to === 'string') cur = JSON.stringify(cur ?? null);
        else if (from === 'string' && to === 'json') {
          if (typeof cur !== 'string') throw fail('expected a string');
          cur = JSON.parse(cur);
        } else throw fail(`unsupported conversion ${String(from)} -> ${String(to)}`);
        break;
      }
      default:
        throw fail(`unknown operation type "${op.type}"`);
    }
  });
  return cur;
}

export const createTransformStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const transformer = optString(cfg, 'transformer');
  const pipeline = optString(cfg, 'pipeline');
  const source = optString(cfg, 'source');
  const ops: TransformOperation[] = [];
  if (cfg.operations !== undefined) {
    if (!Array.isArray(cfg.operations))
      throw new ConfigValueError('"operations" must be a list', { path: ['operations'] });
    cfg.operations.forEach((raw, i) => {
      const op = (raw ?? {}) as ConfigMap;
      if (typeof op.type !== 'string')
        throw new ConfigValueError('operation needs a type (extract, map, filter, convert)', {
          path: ['operations', i],
        });
      if (!['extract', 'map', 'filter', 'convert'].includes(op.type))
        throw new ConfigValueError(`unknown operation type "${op.type}"`, {
          path: ['operations', i, 'type'],
          hint: 'use extract, map, filter or convert',
        });
      ops.push({ type: op.type, config: isPlainMap(op.config) ? op.config : {} });
    });
  }
  if (!transformer && ops.length === 0)
    throw new ConfigValueError('set "operations" or "transformer" + "pipeline"', { path: [] });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const input = source ? ctx.templates.lookup(pc, source) : pc.current;
      let result: unknown;
      if (transformer) {
        const svc = ctx.services.get(transformer);
        if (!DataTransformerCap.is(svc))
          throw new Error(`transform "${spec.name}": "${transformer}" is not a data transformer`);
        result = await svc.transform(pipeline ?? '', input);
      } else {
        result = applyOperations(ops, input);
      }
      return { output: isPlainMap(result) ? result : { result } };
    },
  };
};
