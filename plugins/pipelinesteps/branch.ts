// step.branch: like a switch statement. `field` (dotted path or template) selects one of
// `branches` (value -> list of steps), else `default`; only that branch's steps run, in the
// pipeline's own context (their outputs are the pipeline's), then execution jumps to `merge_step`
// (or continues with the next step). Unlike step.conditional, the other branches never run.
// Output {matched_value, branch} (+ stopped when a branch step stopped the pipeline).
import {
  ConfigValueError,
  formatValue,
  isPlainMap,
  type ConfigMap,
  type Step,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { pathOrTemplate } from './step-config.ts';

export const branchSchema: TypeSchema = {
  description: 'Runs the steps of the branch a field value selects, then jumps to a merge step',
  configFields: [
    { key: 'field', type: 'string', required: true, description: 'dotted path or template' },
    { key: 'branches', type: 'map', required: true, description: 'value -> list of steps' },
    { key: 'default', type: 'array', description: 'steps when no branch matches' },
    { key: 'merge_step', type: 'string', description: 'step to continue with afterwards' },
  ],
  outputs: [
    { key: 'matched_value', type: 'string' },
    { key: 'branch', type: 'string' },
  ],
  validate(config, context) {
    const names = context?.pipelineStepNames;
    const target = config.merge_step;
    if (names && typeof target === 'string' && target !== '' && !names.includes(target))
      return [{ message: `merge_step "${target}" is not a step of this pipeline`, path: ['merge_step'] }];
    return [];
  },
};

export const createBranchStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const read = pathOrTemplate(ctx, cfg.requiredString('field', 'field: steps.classify.kind'), ['field']);
  const branchesRaw = cfg.map('branches');
  if (!branchesRaw || Object.keys(branchesRaw).length === 0)
    throw new ConfigValueError('"branches" must be a non-empty map of value -> steps', { path: ['branches'] });
  const build = (raw: unknown, path: string[]): Step[] => {
    if (!Array.isArray(raw) || raw.length === 0 || !raw.every(isPlainMap))
      throw new ConfigValueError(`"${path.join('.')}" must be a non-empty list of steps`, { path });
    return ctx.buildSteps(raw, path);
  };
  const branches = new Map(Object.entries(branchesRaw).map(([k, v]) => [k, build(v, ['branches', k])]));
  const fallback = cfg.has('default') ? build(spec.config.default, ['default']) : undefined;
  const mergeStep = cfg.string('merge_step');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const raw = read(pc);
      const value = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '<no value>' : formatValue(raw);
      const steps = branches.get(value) ?? fallback;
      if (!steps)
        throw new Error(`branch "${spec.name}": value "${value}" not found in branches and no default configured`);
      for (const step of steps) {
        let result: Awaited<ReturnType<Step['execute']>>;
        try {
          result = await step.execute(pc);
        } catch (err) {
          throw new Error(`branch "${spec.name}": step "${step.name}" failed: ${(err as Error).message}`);
        }
        const output = result?.output ?? {};
        (pc.stepOutputs as Record<string, ConfigMap>)[step.name] = output;
        Object.assign(pc.current, output);
        if (result?.stop) return { output: { matched_value: value, branch: value, stopped: true }, stop: true };
      }
      const output = { matched_value: value, branch: value };
      return mergeStep ? { output, nextStep: mergeStep } : { output };
    },
  };
};
