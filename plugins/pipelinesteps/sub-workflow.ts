// step.sub_workflow (upstream module/pipeline_step_sub_workflow.go, registered by upstream's ai plugin
// though it needs no AI): runs another pipeline of the app as a child. `workflow`* (pipeline name;
// `pipeline:` prefix allowed), `input_mapping` {childKey: template} (default: all of Current),
// `output_mapping` {parentKey: dotted path into the child's data} (default: {result: the child's
// data}), `timeout` (30s). Upstream looks the name up among workflows that plugins embed; no plugin
// here embeds workflows, so the name is one of the app's pipelines.
import { durationOr, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compile, getPath, optMap, reqString } from './step-config.ts';

export const subWorkflowSchema: TypeSchema = {
  description: 'Runs another pipeline as a sub-workflow with input and output mapping',
  configFields: [
    { key: 'workflow', type: 'string', required: true, description: 'pipeline name' },
    { key: 'input_mapping', type: 'map', description: 'child key -> template' },
    { key: 'output_mapping', type: 'map', description: 'parent key -> dotted path in the child data' },
    { key: 'timeout', type: 'duration', default: '30s' },
  ],
  outputs: [{ key: 'result', type: 'map', description: "the child's data (without output_mapping)" }],
};

export const createSubWorkflowStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const workflow = reqString(cfg, 'workflow', 'workflow: <pipeline name>').replace(/^pipeline:/, '');
  const inputMapping = optMap(cfg, 'input_mapping');
  const inputs = inputMapping ? compile(ctx, inputMapping, ['input_mapping']) : undefined;
  const outputMapping = optMap(cfg, 'output_mapping');
  const timeoutMs = durationOr(cfg.timeout, 30_000);
  const label = `sub_workflow step "${spec.name}"`;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (!ctx.workflows.hasPipeline(workflow)) throw new Error(`${label}: workflow "${workflow}" not found`);
      const data = inputs ? (inputs.resolve(pc) as ConfigMap) : { ...pc.current };
      const signal = AbortSignal.any([pc.signal, AbortSignal.timeout(timeoutMs)]);
      let child: ConfigMap;
      try {
        child = (await ctx.workflows.run(workflow, data, { signal })).current;
      } catch (err) {
        const why = signal.aborted && !pc.signal.aborted ? `timed out after ${timeoutMs} ms` : (err as Error).message;
        throw new Error(`${label}: child workflow "${workflow}" failed: ${why}`);
      }
      if (!outputMapping) return { output: { result: child } };
      const output: ConfigMap = {};
      for (const [parentKey, path] of Object.entries(outputMapping))
        output[parentKey] = Object.hasOwn(child, String(path)) ? child[String(path)] : getPath(child, String(path));
      return { output };
    },
  };
};
