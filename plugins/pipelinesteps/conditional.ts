// step.conditional: a goto. Switch form: `field` (dotted path or template) looked up in `routes`
// (value -> step name), else `default`. Boolean form: `if` (template) -> `then` / `else`.
// Execution continues linearly from the target step (UPSTREAM.md 1.10).
import { ConfigValueError, formatValue, guardTruthy, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { optMap, optString, pathOrTemplate } from './step-config.ts';

export const conditionalSchema: TypeSchema = {
  description: 'Jumps to another step by a field value (switch) or a condition (if/then/else)',
  configFields: [
    { key: 'field', type: 'string', description: 'dotted path or template whose value selects a route' },
    { key: 'routes', type: 'map', description: 'value -> step name' },
    { key: 'default', type: 'string', description: 'step when no route matches' },
    { key: 'if', type: 'string', description: 'template condition (boolean form)' },
    { key: 'then', type: 'string' },
    { key: 'else', type: 'string' },
  ],
  outputs: [
    { key: 'matched_value', type: 'string' },
    { key: 'next_step', type: 'string' },
  ],
  validate(config, context) {
    const problems: Array<{ message: string; path: Array<string | number>; hint?: string; runTime?: string }> = [];
    const boolean = config.if !== undefined;
    if (!boolean && (typeof config.field !== 'string' || config.field === ''))
      problems.push({ message: '"field" is required (or use the if/then/else form)', path: ['field'] });
    if (
      !boolean &&
      (typeof config.routes !== 'object' || config.routes === null || Object.keys(config.routes).length === 0)
    )
      problems.push({ message: '"routes" must be a non-empty map of value -> step name', path: ['routes'] });
    if (boolean && typeof config.then !== 'string')
      problems.push({ message: '"then" (a step name) is required with "if"', path: ['then'] });
    const names = context?.pipelineStepNames;
    if (names) {
      const targets: Array<[unknown, Array<string | number>]> = [
        [config.default, ['default']],
        [config.then, ['then']],
        [config.else, ['else']],
      ];
      if (config.routes && typeof config.routes === 'object')
        for (const [k, v] of Object.entries(config.routes)) targets.push([v, ['routes', k]]);
      for (const [t, path] of targets) {
        if (typeof t === 'string' && t !== '' && !names.includes(t))
          problems.push({
            message: `jump target "${t}" is not a step of this pipeline`,
            path,
            hint: `steps: ${names.join(', ')}`,
            runTime: 'a run that takes this route fails: step routed to unknown step',
          });
      }
    }
    return problems;
  },
};

export const createConditionalStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  if (cfg.if !== undefined) {
    const cond = ctx.templates.compile(String(cfg.if), ['if']);
    const then = optString(cfg, 'then');
    const otherwise = optString(cfg, 'else');
    if (!then) throw new ConfigValueError('"then" (a step name) is required with "if"', { path: ['then'] });
    return {
      name: spec.name,
      type: spec.type,
      async execute(pc) {
        const value = cond.resolve(pc);
        const ok = guardTruthy(value);
        const next = ok ? then : otherwise;
        const output = { matched_value: String(ok), next_step: next ?? '' };
        return next ? { output, nextStep: next } : { output };
      },
    };
  }
  const field = optString(cfg, 'field');
  const routes = optMap(cfg, 'routes');
  if (!field) throw new ConfigValueError('"field" is required', { path: ['field'], hint: 'field: steps.check.status' });
  if (!routes || Object.keys(routes).length === 0)
    throw new ConfigValueError('"routes" must be a non-empty map of value -> step name', { path: ['routes'] });
  for (const [k, v] of Object.entries(routes))
    if (typeof v !== 'string')
      throw new ConfigValueError(`route for "${k}" must be a step name`, { path: ['routes', k] });
  const fallback = optString(cfg, 'default');
  const read = pathOrTemplate(ctx, field, ['field']);
  const table = routes as Record<string, string>;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const raw = read(pc);
      const value = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '<no value>' : formatValue(raw);
      const next = Object.hasOwn(table, value) ? table[value] : undefined;
      if (next) return { output: { matched_value: value, next_step: next }, nextStep: next };
      if (fallback)
        return { output: { matched_value: value, next_step: fallback, used_default: true }, nextStep: fallback };
      throw new Error(
        `conditional step "${spec.name}": value "${value}" not found in routes and no default configured`,
      );
    },
  };
};
