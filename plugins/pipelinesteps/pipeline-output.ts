// step.pipeline_output: declares what the pipeline returns (`source` path or `values` map); the
// HTTP trigger answers with it as 200 JSON when no step wrote a response.
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compile, optMap, optString } from './step-config.ts';

export const pipelineOutputSchema: TypeSchema = {
  description: "Sets the pipeline's output (what executePipeline and the HTTP trigger return)",
  configFields: [
    { key: 'source', type: 'string', description: 'dotted path of the output' },
    { key: 'values', type: 'map', description: 'output map (templates allowed)' },
  ],
};

export const createPipelineOutputStep: StepFactory = (spec, ctx) => {
  const source = optString(spec.config, 'source');
  const values = optMap(spec.config, 'values');
  if (!source && !values)
    throw new ConfigValueError('set "values" or "source"', {
      path: [],
      hint: 'values: { id: "{{ .steps.create.id }}" }',
    });
  const compiled = values ? compile(ctx, values, ['values']) : undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const out = compiled ? compiled.resolve(pc) : ctx.templates.lookup(pc, source!);
      pc.metadata._pipeline_output = out ?? null;
      return {
        output:
          out !== null && typeof out === 'object' && !Array.isArray(out)
            ? (out as Record<string, unknown>)
            : { output: out },
      };
    },
  };
};
