// state.tracker: the last known state of each (resourceType, resourceId), fed by every state machine
// engine's committed transitions. Entries older than `retentionDays` are dropped.
import type { AppContext, ConfigMap, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { StateConnectorCap, StateMachineEngineCap } from './capabilities.ts';

export interface TrackedState {
  resourceType: string;
  resourceId: string;
  currentState: string;
  previousState: string;
  lastUpdate: string;
  data: ConfigMap;
}

export const stateTrackerSchema: TypeSchema = {
  description: 'Tracks the current state of resources driven by state machines',
  configFields: [
    { key: 'retentionDays', type: 'number', default: 30, description: 'How long an untouched entry is kept' },
    { key: 'description', type: 'string' },
  ],
};

const DAY_MS = 86_400_000;

export class StateTracker implements Module {
  readonly type = 'state.tracker';
  private readonly states = new Map<string, TrackedState>();
  private readonly retentionMs: number;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.retentionMs = new ConfigReader(config).number('retentionDays', 30)! * DAY_MS;
  }

  start(app: AppContext): void {
    const connector = app.services.find(StateConnectorCap);
    for (const { name: engineName, service: engine } of app.services.findAll(StateMachineEngineCap)) {
      engine.onTransition((event, instance) => {
        const resourceType = connector?.resourceTypeFor(engineName, event.workflowType) ?? event.workflowType;
        this.setState(resourceType, event.instanceId, event.toState, instance.data, event.fromState);
      });
    }
  }

  setState(resourceType: string, resourceId: string, state: string, data: ConfigMap = {}, previousState = ''): void {
    this.prune();
    this.states.set(key(resourceType, resourceId), {
      resourceType,
      resourceId,
      currentState: state,
      previousState,
      lastUpdate: new Date().toISOString(),
      data: structuredClone(data),
    });
  }

  getState(resourceType: string, resourceId: string): TrackedState | undefined {
    const entry = this.states.get(key(resourceType, resourceId));
    if (entry && this.isStale(entry)) {
      this.states.delete(key(resourceType, resourceId));
      return undefined;
    }
    return entry;
  }

  list(resourceType?: string): TrackedState[] {
    this.prune();
    return [...this.states.values()].filter((s) => resourceType === undefined || s.resourceType === resourceType);
  }

  private isStale(entry: TrackedState): boolean {
    return this.retentionMs > 0 && Date.now() - Date.parse(entry.lastUpdate) > this.retentionMs;
  }

  private prune(): void {
    for (const [k, entry] of this.states) if (this.isStale(entry)) this.states.delete(k);
  }
}

function key(resourceType: string, resourceId: string): string {
  return `${resourceType}\u0000${resourceId}`;
}

export function createStateTracker(spec: ModuleSpec): StateTracker {
  return new StateTracker(spec.name, spec.config);
}
