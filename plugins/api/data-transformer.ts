// data.transformer: named transformation pipelines (extract / map / filter / convert) that other
// modules and code call with transform(name, data). Pipelines come from config or registerPipeline.
import { ConfigValueError, type ConfigMap, type Module, type ModuleSpec, type TypeSchema } from '../../engine/index.ts';
import { describe, isPlainObject } from '../support/index.ts';
import { applyOperations, type TransformOperation } from './transform-ops.ts';

const OPERATION_TYPES = new Set(['extract', 'map', 'filter', 'convert']);

export const dataTransformerSchema: TypeSchema = {
  description: 'Named data transformation pipelines (extract, map, filter, convert)',
  configFields: [
    { key: 'pipelines', type: 'map', description: 'name -> list of {type, config} operations' },
    { key: 'description', type: 'string' },
  ],
};

export class DataTransformer implements Module {
  readonly type = 'data.transformer';
  private readonly pipelines = new Map<string, TransformOperation[]>();

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const pipelines = config.pipelines;
    if (pipelines === undefined) return;
    if (!isPlainObject(pipelines))
      throw new ConfigValueError(`"pipelines" must be a map of name -> operations, got ${describe(pipelines)}`, {
        path: ['pipelines'],
      });
    for (const [pipelineName, ops] of Object.entries(pipelines))
      this.registerPipeline(pipelineName, parseOperations(ops, ['pipelines', pipelineName]));
  }

  registerPipeline(name: string, operations: TransformOperation[]): void {
    this.pipelines.set(name, operations);
  }

  pipelineNames(): string[] {
    return [...this.pipelines.keys()];
  }

  transform(pipelineName: string, data: unknown): unknown {
    const ops = this.pipelines.get(pipelineName);
    if (!ops) throw new Error(`data.transformer "${this.name}": pipeline "${pipelineName}" not found`);
    return applyOperations(ops, data);
  }
}

function parseOperations(raw: unknown, path: Array<string | number>): TransformOperation[] {
  if (!Array.isArray(raw))
    throw new ConfigValueError('a transformation pipeline must be a list of operations', { path });
  return raw.map((op, i) => {
    if (!isPlainObject(op) || typeof op.type !== 'string' || !OPERATION_TYPES.has(op.type)) {
      throw new ConfigValueError(`operation ${i} needs type extract, map, filter or convert`, {
        path: [...path, i, 'type'],
      });
    }
    return { type: op.type as TransformOperation['type'], config: isPlainObject(op.config) ? op.config : {} };
  });
}

export function createDataTransformer(spec: ModuleSpec): DataTransformer {
  return new DataTransformer(spec.name, spec.config);
}
