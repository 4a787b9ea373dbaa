// step.workflow_call: runs another pipeline of the app (any file of an application config).
// `mode` sync (default: waits; `output_mapping` {parentKey: childKey} picks the outputs, else all
// of them) or async (fire and forget). `input` {childKey: template} builds the child's data
// (default: all of Current). Recursion is bounded.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isPlainMap, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compile, oneOf, optMap, reqString } from './step-config.ts';

export const workflowCallSchema: TypeSchema = {
  description: 'Calls another pipeline synchronously or asynchronously',
  configFields: [
    { key: 'workflow', type: 'string', required: true, description: 'pipeline name' },
    { key: 'mode', type: 'select', options: ['sync', 'async'], default: 'sync' },
    { key: 'input', type: 'map', description: 'child data: key -> template' },
    { key: 'output_mapping', type: 'map', description: 'parent key -> child output key' },
  ],
};

const MAX_DEPTH = 32;
const depth = new AsyncLocalStorage<number>();

export const createWorkflowCallStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const workflow = reqString(cfg, 'workflow', 'workflow: <pipeline name>').replace(/^pipeline:/, '');
  const mode = oneOf(cfg, 'mode', ['sync', 'async'] as const, 'sync');
  const input = optMap(cfg, 'input');
  const inputValues = input ? compile(ctx, input, ['input']) : undefined;
  const mapping = optMap(cfg, 'output_mapping');
  const runner = ctx.workflows;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (!runner.hasPipeline(workflow))
        throw new Error(`workflow_call "${spec.name}": no pipeline named "${workflow}"`);
      const level = (depth.getStore() ?? 0) + 1;
      if (level > MAX_DEPTH)
        throw new Error(`workflow_call "${spec.name}": call depth exceeds ${MAX_DEPTH} (recursive pipelines?)`);
      const data = inputValues ? (inputValues.resolve(pc) as ConfigMap) : { ...pc.current };
      if (mode === 'async') {
        depth
          .run(level, () => runner.executePipeline(workflow, data))
          .catch((err: Error) =>
            pc.logger.error(
              { pipeline: workflow, caller: pc.pipelineName, err: err.message },
              'async workflow_call failed',
            ),
          );
        return { output: { workflow, mode: 'async', started: true } };
      }
      const result = await depth.run(level, () => runner.executePipeline(workflow, data, { signal: pc.signal }));
      if (!mapping) return { output: isPlainMap(result) ? result : { result } };
      const output: ConfigMap = {};
      for (const [parentKey, childKey] of Object.entries(mapping)) output[parentKey] = result[String(childKey)];
      return { output };
    },
  };
};
