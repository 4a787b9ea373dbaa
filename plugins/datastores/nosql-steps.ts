// step.nosql_get / put / delete / query against a NoSQL store module (upstream factory keys).
import type {
  CompiledValue,
  ConfigMap,
  PipelineContext,
  Step,
  StepBuildContext,
  StepResult,
  StepSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject, moduleRef } from '../support/index.ts';
import { NoSqlStoreCap, type NoSqlStore } from './memory-nosql.ts';

const storeField = {
  key: 'store',
  type: 'string',
  required: true,
  description: 'NoSQL store module (e.g. nosql.memory)',
} as const;
const keyField = {
  key: 'key',
  type: 'string',
  required: true,
  description: 'Document key (templates allowed)',
} as const;

export const nosqlGetSchema: TypeSchema = {
  description: 'Read a document by key',
  configFields: [
    storeField,
    keyField,
    { key: 'output', type: 'string', default: 'item' },
    {
      key: 'miss_ok',
      type: 'boolean',
      default: true,
      description: 'A missing key is found: false instead of an error',
    },
  ],
  outputs: [
    { key: 'item', type: 'map', description: 'named by output' },
    { key: 'found', type: 'boolean' },
  ],
};
export const nosqlPutSchema: TypeSchema = {
  description: 'Insert or replace a document',
  configFields: [
    storeField,
    keyField,
    {
      key: 'item',
      type: 'string',
      default: 'body',
      description: 'Path in the pipeline data of the document to store (default body; all of Current when absent)',
    },
  ],
  outputs: [
    { key: 'stored', type: 'boolean' },
    { key: 'key', type: 'string' },
  ],
};
export const nosqlDeleteSchema: TypeSchema = {
  description: 'Delete a document by key',
  configFields: [storeField, keyField],
  outputs: [
    { key: 'deleted', type: 'boolean' },
    { key: 'key', type: 'string' },
  ],
};
export const nosqlQuerySchema: TypeSchema = {
  description: 'List documents, optionally by key prefix',
  configFields: [
    storeField,
    { key: 'prefix', type: 'string', description: 'Key prefix (templates allowed)' },
    { key: 'output', type: 'string', default: 'items' },
  ],
  outputs: [
    { key: 'items', type: 'array', description: 'named by output' },
    { key: 'count', type: 'number' },
  ],
};

interface Common {
  store: () => NoSqlStore;
  key?: CompiledValue;
  c: ConfigReader;
}

function common(spec: StepSpec, ctx: StepBuildContext, needsKey: boolean): Common {
  const c = new ConfigReader(spec.config);
  const name = c.requiredString('store', 'name a nosql.memory module');
  const store = moduleRef(ctx, spec, name, 'NoSQL store', NoSqlStoreCap);
  return { store, c, key: needsKey ? ctx.templates.compile(c.requiredString('key'), ['key']) : undefined };
}

function step(spec: StepSpec, run: (pc: PipelineContext) => Promise<ConfigMap>): Step {
  return { name: spec.name, type: spec.type, execute: async (pc): Promise<StepResult> => ({ output: await run(pc) }) };
}

export function createNoSqlGetStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { store, key, c } = common(spec, ctx, true);
  const output = c.string('output') || 'item';
  const missOk = c.boolean('miss_ok', true)!;
  return step(spec, async (pc) => {
    const k = String(key!.resolve(pc));
    const item = await store().get(k);
    if (!item && !missOk) throw new Error(`nosql_get step "${spec.name}": key "${k}" not found`);
    return { [output]: item ?? {}, found: item !== undefined };
  });
}

export function createNoSqlPutStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { store, key, c } = common(spec, ctx, true);
  const itemPath = c.string('item') || 'body';
  return step(spec, async (pc) => {
    const k = String(key!.resolve(pc));
    const raw = ctx.templates.lookup(pc, itemPath);
    const item = isPlainObject(raw) ? raw : raw !== undefined && raw !== null ? { value: raw } : { ...pc.current };
    await store().put(k, item);
    return { stored: true, key: k };
  });
}

export function createNoSqlDeleteStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { store, key } = common(spec, ctx, true);
  return step(spec, async (pc) => {
    const k = String(key!.resolve(pc));
    return { deleted: await store().delete(k), key: k };
  });
}

export function createNoSqlQueryStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { store, c } = common(spec, ctx, false);
  const prefix = c.has('prefix') ? ctx.templates.compile(c.string('prefix'), ['prefix']) : undefined;
  const output = c.string('output') || 'items';
  return step(spec, async (pc) => {
    const p = prefix ? String(prefix.resolve(pc) ?? '') : '';
    const items = await store().query(p ? { prefix: p } : {});
    return { [output]: items, count: items.length };
  });
}
