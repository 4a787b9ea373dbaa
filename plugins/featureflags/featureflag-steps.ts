// step.feature_flag (evaluate into the pipeline data) and step.ff_gate (evaluate and jump to
// on_enabled or on_disabled). Factory keys as upstream; a flag nobody defined is off (or `default`).
import type {
  CompiledValue,
  ConfigMap,
  PipelineContext,
  Step,
  StepBuildContext,
  StepResult,
  StepSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import { FeatureFlagServiceCap, type FeatureFlagService } from './featureflag-service.ts';
import type { EvaluationContext, FlagResult } from './flag-evaluation.ts';

const evaluationFields: TypeSchema['configFields'] = [
  { key: 'flag', type: 'string', required: true, description: 'Flag name (templates allowed)' },
  { key: 'user_from', type: 'string', description: 'User key, e.g. "{{ .body.user_id }}"' },
  { key: 'group_from', type: 'string', description: 'Comma-separated groups (templates allowed)' },
  { key: 'service', type: 'string', description: 'featureflag.service module (default: the first one)' },
];

export const featureFlagStepSchema: TypeSchema = {
  description: 'Evaluate a feature flag for a user/group',
  configFields: [
    ...evaluationFields,
    {
      key: 'output_key',
      type: 'string',
      aliases: ['output'],
      description: 'Key of the result map (default: the flag name)',
    },
    { key: 'default', type: 'any', description: 'Value when the flag is not defined (default false)' },
  ],
  outputs: [
    { key: '<output_key>', type: 'map', description: '{enabled, variant, value, reason}' },
    { key: 'enabled', type: 'boolean' },
    { key: 'flag', type: 'string' },
  ],
};

export const ffGateStepSchema: TypeSchema = {
  description: 'Evaluate a feature flag and continue at on_enabled or on_disabled',
  configFields: [
    ...evaluationFields,
    { key: 'on_enabled', type: 'string', required: true, description: 'Step to continue at when the flag is on' },
    { key: 'on_disabled', type: 'string', required: true, description: 'Step to continue at when the flag is off' },
  ],
  outputs: [
    { key: 'flag', type: 'string' },
    { key: 'enabled', type: 'boolean' },
    { key: 'next_step', type: 'string' },
  ],
  validate(config, context) {
    const names = context?.pipelineStepNames;
    if (!names) return [];
    return ['on_enabled', 'on_disabled']
      .filter((key) => typeof config[key] === 'string' && !names.includes(config[key] as string))
      .map((key) => ({
        message: `${key} names step "${String(config[key])}", which is not in this pipeline`,
        path: [key],
        hint: `steps: ${names.join(', ')}`,
        runTime: 'a run that takes this route fails: step routed to unknown step',
      }));
  },
};

interface Evaluator {
  flagName: (pc: PipelineContext) => string;
  evaluate: (pc: PipelineContext, fallback?: unknown) => FlagResult;
}

function evaluator(spec: StepSpec, ctx: StepBuildContext, c: ConfigReader): Evaluator {
  const flag = ctx.templates.compile(c.requiredString('flag'), ['flag']);
  const optional = (key: string): CompiledValue | undefined =>
    c.has(key) ? ctx.templates.compile(c.string(key), [key]) : undefined;
  const user = optional('user_from');
  const group = optional('group_from');
  const serviceName = c.string('service');
  const named = serviceName
    ? moduleRef(ctx, spec, serviceName, 'featureflag.service', FeatureFlagServiceCap)
    : undefined;
  const service = (): FeatureFlagService => {
    if (named) return named();
    const svc = ctx.services.find(FeatureFlagServiceCap);
    if (!svc) throw new Error(`step "${spec.name}": no featureflag.service module in this app`);
    return svc;
  };
  const flagName = (pc: PipelineContext) => String(flag.resolve(pc));
  return {
    flagName,
    evaluate(pc, fallback) {
      const evalCtx: EvaluationContext = {};
      const userKey = user ? String(user.resolve(pc) ?? '') : '';
      if (userKey && userKey !== '<no value>') evalCtx.userKey = userKey;
      const groups = group ? String(group.resolve(pc) ?? '') : '';
      if (groups && groups !== '<no value>')
        evalCtx.groups = groups
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean);
      return service().evaluate(flagName(pc), evalCtx, fallback);
    },
  };
}

export function createFeatureFlagStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const ev = evaluator(spec, ctx, c);
  const outputKey = c.string(['output_key', 'output']);
  const fallback = spec.config.default;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc): Promise<StepResult> {
      const flag = ev.flagName(pc);
      const r = ev.evaluate(pc, fallback);
      const output: ConfigMap = {
        [outputKey || flag]: { enabled: r.enabled, variant: r.variant, value: r.value, reason: r.reason },
      };
      return { output: { ...output, enabled: r.enabled, flag } };
    },
  };
}

export function createFfGateStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const ev = evaluator(spec, ctx, c);
  const onEnabled = c.requiredString('on_enabled');
  const onDisabled = c.requiredString('on_disabled');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc): Promise<StepResult> {
      const r = ev.evaluate(pc);
      const next = r.enabled ? onEnabled : onDisabled;
      return { output: { flag: ev.flagName(pc), enabled: r.enabled, next_step: next }, nextStep: next };
    },
  };
}
