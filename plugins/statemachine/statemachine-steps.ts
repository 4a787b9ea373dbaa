// step.statemachine_transition and step.statemachine_get. Factory keys follow upstream
// (statemachine, entity_id, event) and accept the schema spellings (engine, instanceId, transition).
import {
  ValidationError,
  type CompiledValue,
  type ConfigMap,
  type PipelineContext,
  type Step,
  type StepBuildContext,
  type StepResult,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import { StateMachineEngineCap } from './capabilities.ts';
import { TransitionError, type StateMachineEngine } from './state-machine-engine.ts';
import { transitionErrorStatus } from './transition-errors.ts';

const ENGINE_KEYS = ['statemachine', 'engine'];
const ID_KEYS = ['entity_id', 'instanceId', 'instance_id'];

export const transitionStepSchema: TypeSchema = {
  description: 'Trigger a state machine transition on an instance',
  configFields: [
    {
      key: 'statemachine',
      type: 'string',
      required: true,
      aliases: ['engine'],
      description: 'statemachine.engine module',
    },
    {
      key: 'entity_id',
      type: 'string',
      required: true,
      aliases: ['instanceId', 'instance_id'],
      description: 'Instance id (templates allowed)',
    },
    {
      key: 'event',
      type: 'string',
      required: true,
      aliases: ['transition'],
      description: 'Transition name (templates allowed)',
    },
    { key: 'data', type: 'map', description: 'Data merged into the instance (templates allowed)' },
    {
      key: 'workflow_type',
      type: 'string',
      aliases: ['workflowType'],
      description: 'Create the instance with this definition when it does not exist yet',
    },
    {
      key: 'fail_on_error',
      type: 'boolean',
      default: false,
      description: 'Fail the step on an invalid transition instead of outputting transition_ok: false',
    },
  ],
  outputs: [
    { key: 'transition_ok', type: 'boolean' },
    { key: 'transitioned', type: 'boolean' },
    { key: 'new_state', type: 'string' },
    { key: 'current_state', type: 'string' },
    { key: 'previous_state', type: 'string' },
    { key: 'error', type: 'string', description: 'only on failure' },
  ],
};

export const getStepSchema: TypeSchema = {
  description: 'Read the current state of a state machine instance (fails when it does not exist)',
  configFields: [
    { key: 'statemachine', type: 'string', required: true, aliases: ['engine'] },
    { key: 'entity_id', type: 'string', required: true, aliases: ['instanceId', 'instance_id'] },
  ],
  outputs: [
    { key: 'current_state', type: 'string' },
    { key: 'previous_state', type: 'string' },
    { key: 'entity_id', type: 'string' },
    { key: 'completed', type: 'boolean' },
    { key: 'data', type: 'map' },
  ],
};

function engineLookup(spec: StepSpec, ctx: StepBuildContext, c: ConfigReader): () => StateMachineEngine {
  const name = c.requiredString(ENGINE_KEYS, 'name the statemachine.engine module');
  return moduleRef(ctx, spec, name, 'statemachine.engine', StateMachineEngineCap);
}

function compileRequired(ctx: StepBuildContext, c: ConfigReader, keys: string[]): CompiledValue {
  const value = c.requiredString(keys);
  const key = keys.find((k) => c.has(k))!;
  return ctx.templates.compile(value, [key]);
}

export function createTransitionStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const engine = engineLookup(spec, ctx, c);
  const entityId = compileRequired(ctx, c, ID_KEYS);
  const event = compileRequired(ctx, c, ['event', 'transition']);
  const data = c.has('data') ? ctx.templates.compile(c.map('data'), ['data']) : undefined;
  const workflowType = c.string(['workflow_type', 'workflowType']);
  const failOnError = c.boolean('fail_on_error', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const sm = engine();
      const id = String(entityId.resolve(pc));
      const transition = String(event.resolve(pc));
      const values = (data?.resolve(pc) ?? {}) as ConfigMap;
      try {
        if (workflowType && !sm.getInstance(id)) sm.createInstance(workflowType, id, values);
        const instance = await sm.triggerTransition(id, transition, values);
        const state = {
          new_state: instance.currentState,
          current_state: instance.currentState,
          previous_state: instance.previousState,
        };
        return { output: { transition_ok: true, transitioned: true, ...state } };
      } catch (err) {
        if (failOnError) {
          const message = `statemachine_transition step "${spec.name}": transition failed: ${(err as Error).message}`;
          throw err instanceof TransitionError
            ? new ValidationError(message, transitionErrorStatus(err))
            : new Error(message);
        }
        const current = sm.getInstance(id)?.currentState ?? '';
        return {
          output: { transition_ok: false, transitioned: false, current_state: current, error: (err as Error).message },
        };
      }
    },
  };
}

export function createGetStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const engine = engineLookup(spec, ctx, c);
  const entityId = compileRequired(ctx, c, ID_KEYS);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const id = String(entityId.resolve(pc));
      const instance = engine().getInstance(id);
      if (!instance) throw new Error(`statemachine_get step "${spec.name}": instance "${id}" not found`);
      return {
        output: {
          entity_id: id,
          current_state: instance.currentState,
          previous_state: instance.previousState,
          workflow_type: instance.workflowType,
          completed: instance.completed,
          data: instance.data,
        },
      };
    },
  };
}
