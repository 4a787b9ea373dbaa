// step.while: runs `step`/`steps` again and again while `condition` (a template, read against the
// pipeline after each round) is truthy, at most `max_iterations` (1000) rounds; more is an error.
// `iteration_var` names {index, first} for the nested steps; `accumulate: {key, from}` collects the
// value of `from` after each round (lists are flattened). The nested steps' outputs reach the
// pipeline after each round, so the condition sees them. Output {iterations, <key>}.
import {
  ConfigValueError,
  guardTruthy,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { childContext, runSteps } from './nested-run.ts';
import { decodeJsonLike, pathOrTemplate } from './step-config.ts';

export const whileSchema: TypeSchema = {
  description: 'Repeats nested steps while a condition holds (with an iteration cap)',
  configFields: [
    { key: 'condition', type: 'string', required: true, description: 'template, e.g. {{ .steps.page.has_next }}' },
    { key: 'max_iterations', type: 'number', default: 1000 },
    { key: 'iteration_var', type: 'string', description: 'name of {index, first} in the nested steps' },
    { key: 'accumulate', type: 'map', description: '{key, from}: collect `from` after each round into `key`' },
    { key: 'step', type: 'map', description: 'one nested step' },
    { key: 'steps', type: 'array', description: 'nested steps' },
  ],
  outputs: [
    { key: 'iterations', type: 'number' },
    { key: '<accumulate.key>', type: 'array' },
  ],
};

/** `{{ .a.b }}` reads the value at a.b itself (a list stays a list), as upstream does. */
const SIMPLE_PATH = /^\{\{\s*\.([\w.-]+)\s*\}\}$/;

export const createWhileStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const condition = ctx.templates.compile(cfg.requiredString('condition', 'condition: "{{ .steps.page.has_next }}"'), [
    'condition',
  ]);
  const max = cfg.number('max_iterations', 0)!;
  if (max < 0) throw new ConfigValueError('"max_iterations" must be >= 0', { path: ['max_iterations'] });
  const maxIterations = max > 0 ? Math.floor(max) : 1000;
  const iterationVar = cfg.string('iteration_var');
  const acc = cfg.map('accumulate');
  let accumulate: { key: string; read: ReturnType<typeof pathOrTemplate> } | undefined;
  if (acc) {
    const key = typeof acc.key === 'string' ? acc.key : '';
    const from = typeof acc.from === 'string' ? acc.from : '';
    if (!key) throw new ConfigValueError('"accumulate.key" is required', { path: ['accumulate', 'key'] });
    if (!from) throw new ConfigValueError('"accumulate.from" is required', { path: ['accumulate', 'from'] });
    const simple = SIMPLE_PATH.exec(from);
    accumulate = { key, read: pathOrTemplate(ctx, simple ? simple[1]! : from, ['accumulate', 'from']) };
  }
  if (cfg.has('step') && cfg.has('steps'))
    throw new ConfigValueError('"step" and "steps" are mutually exclusive', { path: ['steps'] });
  const specs = Array.isArray(spec.config.steps) ? spec.config.steps : cfg.has('step') ? [spec.config.step] : [];
  const steps = ctx.buildSteps(specs, [Array.isArray(spec.config.steps) ? 'steps' : 'step']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const collected: unknown[] = [];
      let i = 0;
      while (guardTruthy(condition.resolve(pc))) {
        if (pc.signal.aborted) throw new Error('cancelled');
        if (i >= maxIterations) throw new Error(`while "${spec.name}": exceeded max_iterations (${maxIterations})`);
        const child = childContext(pc, iterationVar ? { [iterationVar]: { index: i, first: i === 0 } } : {});
        try {
          await runSteps(steps, child);
        } catch (err) {
          throw new Error(`while "${spec.name}": iteration ${i}: ${(err as Error).message}`);
        }
        // the rounds' outputs reach the pipeline, so the condition (and later steps) see them
        for (const { name } of steps) {
          const out = child.stepOutputs[name];
          if (out === undefined || out === pc.stepOutputs[name]) continue;
          (pc.stepOutputs as Record<string, ConfigMap>)[name] = out;
          Object.assign(pc.current, out);
        }
        if (accumulate) {
          const v = decodeJsonLike(accumulate.read(pc));
          if (Array.isArray(v)) collected.push(...v);
          else if (v !== undefined && v !== null && v !== '' && v !== '<no value>') collected.push(v);
        }
        i++;
      }
      return { output: { iterations: i, ...(accumulate ? { [accumulate.key]: collected } : {}) } };
    },
  };
};
