// state.connector: which state machine engine drives which resource type
// (`workflows.statemachine.resourceMappings[{resourceType, stateMachine, instanceIDKey}]`; without
// mappings every definition maps its own name, hyphens as underscores, as upstream does).
import type { Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';

export interface ResourceMapping {
  resourceType: string;
  engine: string;
  instanceIdKey: string;
}

export const stateConnectorSchema: TypeSchema = {
  description: 'Links resource types to state machine engines (resourceMappings)',
  configFields: [{ key: 'description', type: 'string' }],
};

export class StateConnector implements Module {
  readonly type = 'state.connector';
  private readonly mappings = new Map<string, ResourceMapping>();

  constructor(readonly name: string) {}

  registerMapping(resourceType: string, engine: string, instanceIdKey = 'id'): void {
    this.mappings.set(resourceType, { resourceType, engine, instanceIdKey });
  }

  engineForResourceType(resourceType: string): ResourceMapping | undefined {
    return this.mappings.get(resourceType);
  }

  /** The resource type a transition of `workflowType` on `engine` belongs to. */
  resourceTypeFor(engine: string, workflowType: string): string | undefined {
    const normalized = workflowType.replaceAll('-', '_');
    let byEngine: string | undefined;
    for (const m of this.mappings.values()) {
      if (m.resourceType === normalized) return m.resourceType;
      if (m.engine === engine) byEngine ??= m.resourceType;
    }
    return byEngine;
  }

  list(): ResourceMapping[] {
    return [...this.mappings.values()];
  }
}

export function createStateConnector(spec: ModuleSpec): StateConnector {
  return new StateConnector(spec.name);
}
