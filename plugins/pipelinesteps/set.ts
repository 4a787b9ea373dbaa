// step.set: `values` (map; every string template-resolved) becomes the step output.
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compile, optMap } from './step-config.ts';

export const setSchema: TypeSchema = {
  description: 'Sets values (templates resolved) in the pipeline context',
  configFields: [{ key: 'values', type: 'map', required: true, description: 'name -> value or template' }],
  outputs: [{ key: '*', type: 'any', description: 'every key of values' }],
};

export const createSetStep: StepFactory = (spec, ctx) => {
  const values = optMap(spec.config, 'values');
  if (!values || Object.keys(values).length === 0)
    throw new ConfigValueError(`"values" is required and must not be empty`, {
      path: ['values'],
      hint: 'values: { status: pending }',
    });
  const compiled = compile(ctx, values, ['values']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      return { output: compiled.resolve(pc) as Record<string, unknown> };
    },
  };
};
