// step.jq: a jq program (`expression`) over the pipeline data, or over the value at `input_from`
// (a dotted path such as steps.fetch.body). Output `result`: null for no output, the value for one
// (a map's keys are also merged into the output, as upstream), a list for several. The program is
// compiled when the config loads, so a typo is a config error with jq's own message.
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { jqRunner } from './jq-runner.ts';

export const jqSchema: TypeSchema = {
  description: 'Transforms pipeline data with a jq program (jq 1.8)',
  configFields: [
    { key: 'expression', type: 'string', required: true, description: 'the jq program, e.g. [.items[] | .id]' },
    {
      key: 'input_from',
      type: 'string',
      aliases: ['input'],
      description: 'dotted path of the input (default: all pipeline data)',
    },
    { key: 'timeout', type: 'duration', default: '5s', description: 'longest a run may take before it fails' },
  ],
  outputs: [{ key: 'result', type: 'any', description: 'null, the one output, or a list of outputs' }],
};

export const createJqStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const expression = cfg.requiredString('expression', 'expression: "[.items[] | select(.active)]"');
  const inputFrom = cfg.string(['input_from', 'input']);
  const timeoutMs = cfg.duration('timeout', 5000)!;
  const compileError = jqRunner.check(expression);
  if (compileError)
    throw new ConfigValueError(`jq program does not compile: ${compileError}`, { path: ['expression'] });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const input = inputFrom ? ctx.templates.lookup(pc, inputFrom) : pc.current;
      const outcome = await jqRunner.run(expression, input, timeoutMs);
      if ('error' in outcome) {
        const e = outcome.error;
        throw new Error(`jq: ${typeof e === 'string' ? e : JSON.stringify(e)}`);
      }
      const results = outcome.ok;
      if (results.length === 0) return { output: { result: null } };
      if (results.length > 1) return { output: { result: results } };
      const only = results[0];
      const merged = only !== null && typeof only === 'object' && !Array.isArray(only) ? only : {};
      return { output: { ...merged, result: only } };
    },
  };
};
