// step.policy_evaluate, step.policy_load, step.policy_list and step.policy_test (upstream
// module/pipeline_step_policy.go): pipeline access to a policy engine module (`engine`*, e.g.
// policy.mock), looked up when the step runs. Outputs and stop rules are upstream's: evaluate and
// test stop the pipeline (successfully) when the decision is a deny or not the expected one.
import {
  ConfigValueError,
  type ConfigMap,
  type StepBuildContext,
  type StepFactory,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, isPlainObject, moduleRef } from '../support/index.ts';
import { PolicyEngineCap, type PolicyEngine } from './policy-mock.ts';

const ENGINE_FIELD = {
  key: 'engine',
  type: 'string',
  required: true,
  description: 'policy engine module (policy.mock)',
} as const;

const engineName = (config: ConfigMap) =>
  new ConfigReader(config).requiredString('engine', 'engine: a policy.mock module');

function engineOf(ctx: StepBuildContext, spec: StepSpec): { name: string; get: () => PolicyEngine } {
  const name = engineName(spec.config);
  return { name, get: moduleRef(ctx, spec, name, 'policy engine', PolicyEngineCap) };
}

async function evaluate(step: string, kind: string, engine: PolicyEngine, input: ConfigMap) {
  try {
    return await engine.evaluate(input);
  } catch (err) {
    throw new Error(`${kind} step "${step}": evaluate: ${(err as Error).message}`);
  }
}

// --- step.policy_evaluate

function parseEvaluate(config: ConfigMap) {
  return { engine: engineName(config), inputFrom: new ConfigReader(config).string('input_from') || 'policy_input' };
}

export const policyEvaluateSchema: TypeSchema = {
  description: 'Evaluates a policy decision; a deny stops the pipeline',
  configFields: [
    ENGINE_FIELD,
    {
      key: 'input_from',
      type: 'string',
      default: 'policy_input',
      description: 'pipeline key holding the input map (else all pipeline data)',
    },
  ],
  outputs: [
    { key: 'allowed', type: 'boolean' },
    { key: 'reasons', type: 'list' },
    { key: 'metadata', type: 'map' },
    { key: 'engine', type: 'string' },
  ],
  validate: checkedBy(parseEvaluate),
};

export const createPolicyEvaluateStep: StepFactory = (spec, ctx) => {
  const { inputFrom } = parseEvaluate(spec.config);
  const engine = engineOf(ctx, spec);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const from = pc.current[inputFrom];
      const decision = await evaluate(
        spec.name,
        'policy_evaluate',
        engine.get(),
        isPlainObject(from) ? from : pc.current,
      );
      return {
        output: {
          allowed: decision.allowed,
          reasons: decision.reasons,
          metadata: decision.metadata,
          engine: engine.name,
        },
        ...(decision.allowed ? {} : { stop: true }),
      };
    },
  };
};

// --- step.policy_load

function parseLoad(config: ConfigMap) {
  const c = new ConfigReader(config);
  return {
    engine: engineName(config),
    policyName: c.requiredString('policy_name', 'policy_name: the name the policy is stored under'),
    content: c.string('content') ?? '',
  };
}

export const policyLoadSchema: TypeSchema = {
  description: 'Loads (or replaces) a policy document in the engine; pipeline key policy_content overrides content',
  configFields: [
    ENGINE_FIELD,
    { key: 'policy_name', type: 'string', required: true },
    { key: 'content', type: 'string', description: 'policy text (pipeline key policy_content wins when set)' },
  ],
  outputs: [
    { key: 'loaded', type: 'boolean' },
    { key: 'policy_name', type: 'string' },
    { key: 'engine', type: 'string' },
  ],
  validate: checkedBy(parseLoad),
};

export const createPolicyLoadStep: StepFactory = (spec, ctx) => {
  const { policyName, content } = parseLoad(spec.config);
  const engine = engineOf(ctx, spec);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const override = pc.current.policy_content;
      const text = typeof override === 'string' && override !== '' ? override : content;
      try {
        await engine.get().loadPolicy(policyName, text);
      } catch (err) {
        throw new Error(`policy_load step "${spec.name}": ${(err as Error).message}`);
      }
      return { output: { loaded: true, policy_name: policyName, engine: engine.name } };
    },
  };
};

// --- step.policy_list

export const policyListSchema: TypeSchema = {
  description: 'Lists the policies loaded in the engine',
  configFields: [ENGINE_FIELD],
  outputs: [
    { key: 'policies', type: 'list', description: '[{name, backend}]' },
    { key: 'count', type: 'number' },
    { key: 'engine', type: 'string' },
  ],
  validate: checkedBy(engineName),
};

export const createPolicyListStep: StepFactory = (spec, ctx) => {
  const engine = engineOf(ctx, spec);
  return {
    name: spec.name,
    type: spec.type,
    async execute() {
      const policies = engine
        .get()
        .listPolicies()
        .map((p) => ({ name: p.name, backend: p.backend }));
      return { output: { policies, count: policies.length, engine: engine.name } };
    },
  };
};

// --- step.policy_test

function parseTest(config: ConfigMap) {
  const c = new ConfigReader(config);
  const sample = c.raw('sample_input');
  if (sample !== undefined && !isPlainObject(sample))
    throw new ConfigValueError('"sample_input" must be a map (the policy input)', {
      path: ['sample_input'],
      hint: 'e.g. sample_input: { action: read, subject: alice }',
    });
  return {
    engine: engineName(config),
    sampleInput: (isPlainObject(sample) ? sample : {}) as ConfigMap,
    expectAllow: c.boolean('expect_allow') ?? true,
  };
}

export const policyTestSchema: TypeSchema = {
  description: 'Dry-runs the engine on sample_input; stops the pipeline when the decision is not expect_allow',
  configFields: [
    ENGINE_FIELD,
    { key: 'sample_input', type: 'map', description: 'policy input to evaluate (default {})' },
    { key: 'expect_allow', type: 'boolean', default: true },
  ],
  outputs: [
    { key: 'test_passed', type: 'boolean' },
    { key: 'allowed', type: 'boolean' },
    { key: 'expect_allow', type: 'boolean' },
    { key: 'reasons', type: 'list' },
    { key: 'metadata', type: 'map' },
    { key: 'engine', type: 'string' },
    { key: 'sample_input', type: 'map' },
  ],
  validate: checkedBy(parseTest),
};

export const createPolicyTestStep: StepFactory = (spec, ctx) => {
  const { sampleInput, expectAllow } = parseTest(spec.config);
  const engine = engineOf(ctx, spec);
  return {
    name: spec.name,
    type: spec.type,
    async execute() {
      const decision = await evaluate(spec.name, 'policy_test', engine.get(), sampleInput);
      const passed = decision.allowed === expectAllow;
      return {
        output: {
          test_passed: passed,
          allowed: decision.allowed,
          expect_allow: expectAllow,
          reasons: decision.reasons,
          metadata: decision.metadata,
          engine: engine.name,
          sample_input: sampleInput,
        },
        ...(passed ? {} : { stop: true }),
      };
    },
  };
};
