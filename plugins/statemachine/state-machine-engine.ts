// statemachine.engine: definitions (registered by the `statemachine` workflow handler), instances by
// id, transitions checked against the definition. Transitions of one instance run one at a time;
// hooks run after the state change and a failing hook rolls the instance back. With a
// persistence.store in the app (or named by `persistence`), or a SQL `database` module named
// directly, every change is written through and instances are reloaded at start, so they survive a
// restart.
import type { AppContext, ConfigMap, Logger, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import {
  findPersistenceStore,
  PersistenceStoreModule,
  type PersistenceStore,
  type WorkflowInstanceRecord,
} from '../storage/index.ts';
import { ConfigReader, formatGoDuration } from '../support/index.ts';
import type { StateMachineDefinition } from './definition.ts';

export type WorkflowInstance = WorkflowInstanceRecord;

export interface TransitionEvent {
  instanceId: string;
  workflowType: string;
  transition: string;
  fromState: string;
  toState: string;
  timestamp: string;
  data: ConfigMap;
}

/** Runs inside a transition; throwing rejects the transition (the instance is rolled back). */
export type TransitionHook = (event: TransitionEvent) => void | Promise<void>;
/** Told about committed transitions; failures are logged only. */
export type TransitionObserver = (event: TransitionEvent, instance: WorkflowInstance) => void;

export class TransitionError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'unknown_transition' | 'invalid_state' | 'hook_failed' | 'limit',
  ) {
    super(message);
    this.name = 'TransitionError';
  }
}

export const stateMachineEngineSchema: TypeSchema = {
  description: 'State machine engine: definitions from workflows.statemachine, instances, transitions, hooks',
  configFields: [
    { key: 'maxInstances', type: 'number', default: 0, description: 'Upper bound on live instances (0 = no limit)' },
    {
      key: 'instanceTTL',
      type: 'duration',
      description: 'Instances not updated for this long are removed (default: kept)',
    },
    {
      key: 'persistence',
      type: 'string',
      description: 'persistence.store module (default: "persistence" or the first one in the app)',
    },
    {
      key: 'database',
      type: 'string',
      description: 'SQL database module to persist instances in directly (instead of a persistence.store)',
    },
    { key: 'description', type: 'string' },
  ],
};

export class StateMachineEngine implements Module {
  readonly type = 'statemachine.engine';
  private readonly definitions = new Map<string, StateMachineDefinition>();
  private readonly instances = new Map<string, WorkflowInstance>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly hooks: TransitionHook[] = [];
  private readonly observers: TransitionObserver[] = [];
  private readonly maxInstances: number;
  private readonly ttlMs: number;
  private readonly persistenceName?: string;
  private readonly databaseName?: string;
  private persistence?: PersistenceStore;
  private sweepTimer?: NodeJS.Timeout;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.maxInstances = Math.max(0, Math.floor(c.number('maxInstances', 0)!));
    this.ttlMs = c.duration('instanceTTL', 0)!;
    this.persistenceName = c.string('persistence');
    this.databaseName = c.string('database');
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'statemachine.engine', module: this.name });
    if (this.databaseName) {
      const store = new PersistenceStoreModule(`${this.name}.persistence`, this.databaseName);
      store.init(app);
      this.persistence = store;
    } else {
      this.persistence = findPersistenceStore(app, this.persistenceName);
    }
  }

  start(): void {
    if (this.persistence) {
      for (const record of this.persistence.loadWorkflowInstances()) {
        if (!this.definitions.has(record.workflowType)) continue; // belongs to another engine sharing the store
        this.instances.set(record.id, record);
      }
      this.logger?.debug({ instances: this.instances.size }, 'instances loaded from persistence');
    }
    if (this.ttlMs > 0) {
      this.sweepTimer = setInterval(() => this.sweepExpired(), Math.min(this.ttlMs, 60_000));
      this.sweepTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  registerDefinition(def: StateMachineDefinition): void {
    this.definitions.set(def.name, def);
  }

  definition(name: string): StateMachineDefinition | undefined {
    return this.definitions.get(name);
  }

  definitionNames(): string[] {
    return [...this.definitions.keys()];
  }

  /** Run before commit; a throw rejects the transition. */
  addTransitionHook(hook: TransitionHook): void {
    this.hooks.push(hook);
  }

  /** Run after commit (trackers, connectors). */
  onTransition(observer: TransitionObserver): void {
    this.observers.push(observer);
  }

  createInstance(workflowType: string, id: string, data: ConfigMap = {}): WorkflowInstance {
    const def = this.definitions.get(workflowType);
    if (!def) {
      const known = this.definitionNames().join(', ') || 'none';
      throw new TransitionError(
        `workflow type "${workflowType}" is not defined on engine "${this.name}" (defined: ${known})`,
        'not_found',
      );
    }
    if (this.instances.has(id) && !this.isExpired(this.instances.get(id)!)) {
      throw new TransitionError(`workflow instance "${id}" already exists`, 'invalid_state');
    }
    this.sweepExpired();
    if (this.maxInstances > 0 && this.instances.size >= this.maxInstances) {
      throw new TransitionError(
        `engine "${this.name}" already holds maxInstances (${this.maxInstances}) instances`,
        'limit',
      );
    }
    const now = new Date().toISOString();
    const instance: WorkflowInstance = {
      id,
      workflowType,
      currentState: def.initialState,
      previousState: '',
      data: { ...data },
      startTime: now,
      lastUpdated: now,
      completed: def.states.get(def.initialState)?.isFinal ?? false,
      error: '',
    };
    this.persistence?.saveWorkflowInstance(instance);
    this.instances.set(id, instance);
    return copy(instance);
  }

  getInstance(id: string): WorkflowInstance | undefined {
    const instance = this.instances.get(id);
    if (!instance) return undefined;
    if (this.isExpired(instance)) {
      this.remove(id);
      return undefined;
    }
    return copy(instance);
  }

  listInstances(workflowType?: string): WorkflowInstance[] {
    return [...this.instances.values()]
      .filter((i) => !this.isExpired(i) && (workflowType === undefined || i.workflowType === workflowType))
      .map(copy);
  }

  /** Apply a transition; resolves with the updated instance or rejects with a TransitionError. */
  triggerTransition(id: string, transition: string, data: ConfigMap = {}): Promise<WorkflowInstance> {
    return this.withLock(id, () => this.applyTransition(id, transition, data));
  }

  private async applyTransition(id: string, transitionName: string, data: ConfigMap): Promise<WorkflowInstance> {
    const instance = this.instances.get(id);
    if (!instance || this.isExpired(instance))
      throw new TransitionError(`workflow instance "${id}" not found`, 'not_found');
    const def = this.definitions.get(instance.workflowType);
    if (!def) throw new TransitionError(`workflow definition "${instance.workflowType}" not found`, 'not_found');
    const transition = def.transitions.get(transitionName);
    if (!transition) {
      throw new TransitionError(
        `transition "${transitionName}" not found in workflow "${def.name}" (available: ` +
          `${[...def.transitions.keys()].join(', ')})`,
        'unknown_transition',
      );
    }
    if (instance.currentState !== transition.fromState) {
      throw new TransitionError(
        `cannot trigger transition "${transitionName}" from state "${instance.currentState}", expected ` +
          `"${transition.fromState}"`,
        'invalid_state',
      );
    }
    const before = copy(instance);
    const now = new Date().toISOString();
    const toState = def.states.get(transition.toState)!;
    instance.previousState = instance.currentState;
    instance.currentState = transition.toState;
    instance.lastUpdated = now;
    Object.assign(instance.data, data);
    instance.completed = toState.isFinal;
    instance.error = toState.isFinal && toState.isError ? 'Workflow ended in error state' : '';
    const event: TransitionEvent = {
      instanceId: id,
      workflowType: instance.workflowType,
      transition: transitionName,
      fromState: before.currentState,
      toState: transition.toState,
      timestamp: now,
      data: { ...data },
    };
    try {
      for (const hook of this.hooks) await hook(event);
      this.persistence?.saveWorkflowInstance(instance);
    } catch (err) {
      this.instances.set(id, before);
      throw new TransitionError(
        `transition "${transitionName}" of "${id}" was rolled back: ${(err as Error).message}`,
        'hook_failed',
      );
    }
    for (const observer of this.observers) {
      try {
        observer(event, copy(instance));
      } catch (err) {
        this.logger?.error({ instance: id, err: (err as Error).message }, 'transition observer failed');
      }
    }
    return copy(instance);
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return run;
  }

  private isExpired(instance: WorkflowInstance): boolean {
    return this.ttlMs > 0 && Date.now() - Date.parse(instance.lastUpdated) > this.ttlMs;
  }

  private sweepExpired(): void {
    if (this.ttlMs <= 0) return;
    for (const instance of [...this.instances.values()]) {
      if (this.isExpired(instance)) {
        this.logger?.debug(
          { instance: instance.id },
          `instance expired after instanceTTL ${formatGoDuration(this.ttlMs)}`,
        );
        this.remove(instance.id);
      }
    }
  }

  private remove(id: string): void {
    this.instances.delete(id);
    this.persistence?.deleteWorkflowInstance(id);
  }
}

function copy(instance: WorkflowInstance): WorkflowInstance {
  return { ...instance, data: structuredClone(instance.data) };
}

export function createStateMachineEngine(spec: ModuleSpec): StateMachineEngine {
  return new StateMachineEngine(spec.name, spec.config);
}
