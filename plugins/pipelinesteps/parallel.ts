// step.parallel: runs nested `steps` concurrently, each in its own child context; output
// {results: {stepName: output}, errors: {stepName: message}, error_count}. error_strategy
// fail_fast (default: the first failure fails the step) | collect_errors.
import { ConfigValueError, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { childContext, runSteps } from './nested-run.ts';
import { oneOf } from './step-config.ts';

export const parallelSchema: TypeSchema = {
  description: 'Runs nested steps concurrently',
  configFields: [
    { key: 'steps', type: 'array', required: true },
    { key: 'error_strategy', type: 'select', options: ['fail_fast', 'collect_errors'], default: 'fail_fast' },
  ],
  outputs: [
    { key: 'results', type: 'map' },
    { key: 'errors', type: 'map' },
    { key: 'error_count', type: 'number' },
  ],
};

export const createParallelStep: StepFactory = (spec, ctx) => {
  const specs = spec.config.steps;
  if (!Array.isArray(specs) || specs.length === 0)
    throw new ConfigValueError('parallel needs a non-empty "steps" list', { path: ['steps'] });
  const strategy = oneOf(spec.config, 'error_strategy', ['fail_fast', 'collect_errors'] as const, 'fail_fast');
  const steps = ctx.buildSteps(specs, ['steps']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const settled = await Promise.allSettled(steps.map((s) => runSteps([s], childContext(pc, {}))));
      const results: ConfigMap = {};
      const errors: ConfigMap = {};
      settled.forEach((r, i) => {
        const name = steps[i]!.name;
        if (r.status === 'fulfilled') results[name] = r.value;
        else errors[name] = (r.reason as Error)?.message ?? String(r.reason);
      });
      const errorCount = Object.keys(errors).length;
      if (errorCount > 0 && strategy === 'fail_fast') {
        throw new Error(
          `parallel "${spec.name}": ${Object.entries(errors)
            .map(([n, e]) => `${n}: ${String(e)}`)
            .join('; ')}`,
        );
      }
      return { output: { results, errors, error_count: errorCount } };
    },
  };
};
