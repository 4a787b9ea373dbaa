// plugins/statemachine: state machine engine, tracker, connector, transition steps and the
// `statemachine` workflow handler (UPSTREAM.md 1.6, 2.2, 2.3).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createStateMachineEngine, stateMachineEngineSchema } from './state-machine-engine.ts';
import { createStateTracker, stateTrackerSchema } from './state-tracker.ts';
import { createStateConnector, stateConnectorSchema } from './state-connector.ts';
import { createGetStep, createTransitionStep, getStepSchema, transitionStepSchema } from './statemachine-steps.ts';
import { StateMachineWorkflowHandler } from './statemachine-workflow-handler.ts';

export const statemachinePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'statemachine.engine': createStateMachineEngine,
    'state.tracker': createStateTracker,
    'state.connector': createStateConnector,
  },
  moduleSchemas: {
    'statemachine.engine': stateMachineEngineSchema,
    'state.tracker': stateTrackerSchema,
    'state.connector': stateConnectorSchema,
  },
  steps: { 'step.statemachine_transition': createTransitionStep, 'step.statemachine_get': createGetStep },
  stepSchemas: { 'step.statemachine_transition': transitionStepSchema, 'step.statemachine_get': getStepSchema },
  workflowHandlers: { statemachine: () => new StateMachineWorkflowHandler() },
};

export {
  StateMachineEngine,
  TransitionError,
  type WorkflowInstance,
  type TransitionEvent,
} from './state-machine-engine.ts';
export { StateTracker, type TrackedState } from './state-tracker.ts';
export { StateConnector } from './state-connector.ts';
export { StateMachineEngineCap, StateTrackerCap, StateConnectorCap } from './capabilities.ts';
export { parseDefinitions, type StateMachineDefinition } from './definition.ts';
export { asClientError, transitionErrorStatus } from './transition-errors.ts';
