import { defineCapability } from '../../engine/index.ts';
import type { StateMachineEngine } from './state-machine-engine.ts';
import type { StateConnector } from './state-connector.ts';
import type { StateTracker } from './state-tracker.ts';

export const StateMachineEngineCap = defineCapability<StateMachineEngine>(
  'StateMachineEngine',
  'registerDefinition',
  'createInstance',
  'getInstance',
  'triggerTransition',
  'onTransition',
);
export const StateTrackerCap = defineCapability<StateTracker>('StateTracker', 'setState', 'getState');
export const StateConnectorCap = defineCapability<StateConnector>(
  'StateConnector',
  'registerMapping',
  'engineForResourceType',
);
