// Workflow handler `statemachine`: registers `workflows.statemachine.definitions` on the engine,
// wires `hooks` and `resourceMappings`, and executes transitions: action "<engine>:<transition>" or
// "<transition>", the instance from data.instanceId (or data.id).
import {
  ConfigValueError,
  MessageSubscriberCap,
  type AppContext,
  type ConfigMap,
  type WorkflowHandler,
} from '../../engine/index.ts';
import { ConfigReader, describe, isPlainObject } from '../support/index.ts';
import { StateConnectorCap, StateMachineEngineCap } from './capabilities.ts';
import { parseDefinitions } from './definition.ts';
import type { StateMachineEngine, TransitionEvent } from './state-machine-engine.ts';
import { asClientError } from './transition-errors.ts';

interface HookSpec {
  workflowType?: string;
  transitions: string[];
  fromStates: string[];
  toStates: string[];
  handler: string;
}

/** A service that wants transition events directly rather than as messages. */
interface TransitionListener {
  handleTransition(event: TransitionEvent): void | Promise<void>;
}

export class StateMachineWorkflowHandler implements WorkflowHandler {
  canHandle(workflowType: string): boolean {
    return workflowType === 'statemachine';
  }

  configure(app: AppContext, _type: string, section: unknown): void {
    if (!isPlainObject(section))
      throw new ConfigValueError(`workflows.statemachine must be a map, got ${describe(section)}`);
    const c = new ConfigReader(section);
    const engineName = c.string('engine');
    const engine = resolveEngine(app, engineName, true);
    for (const def of parseDefinitions(section.definitions)) engine.registerDefinition(def);

    const connectors = app.services.findAll(StateConnectorCap).map((x) => x.service);
    const mappings = c.list('resourceMappings');
    if (mappings.length > 0) {
      mappings.forEach((m, i) => {
        const mc = new ConfigReader(isPlainObject(m) ? m : {});
        const resourceType = mc.string('resourceType');
        const stateMachine = mc.string('stateMachine');
        if (!resourceType || !stateMachine) {
          throw new ConfigValueError(`resourceMappings[${i}] needs resourceType and stateMachine`, {
            path: ['resourceMappings', i],
          });
        }
        for (const connector of connectors)
          connector.registerMapping(resourceType, stateMachine, mc.string('instanceIDKey', 'id'));
      });
    } else {
      for (const name of engine.definitionNames()) {
        for (const connector of connectors) connector.registerMapping(name.replaceAll('-', '_'), engine.name, 'id');
      }
    }

    const hooks = parseHooks(app, c.list('hooks'));
    if (hooks.length > 0) engine.addTransitionHook((event) => runHooks(app, hooks, event));
  }

  async execute(app: AppContext, _type: string, action: string, data: ConfigMap): Promise<ConfigMap> {
    const [enginePart, transitionPart] = action.includes(':') ? action.split(':', 2) : [undefined, action];
    const engine = resolveEngine(app, enginePart, false);
    const rawId = data.instanceId ?? data.id;
    if (rawId === undefined || rawId === null || rawId === '')
      throw asClientError(new Error('workflow instance ID not provided in data (set instanceId or id)'));
    const instanceId = String(rawId);
    const definitionName =
      typeof data.workflowName === 'string'
        ? data.workflowName
        : typeof data.workflowType === 'string'
          ? data.workflowType
          : undefined;
    try {
      if (!engine.getInstance(instanceId) && definitionName && engine.definition(definitionName)) {
        engine.createInstance(definitionName, instanceId, data);
        if (!transitionPart)
          return {
            instanceId,
            currentState: engine.getInstance(instanceId)!.currentState,
            created: true,
            success: true,
          };
      }
      const instance = await engine.triggerTransition(instanceId, transitionPart, data);
      return {
        instanceId,
        currentState: instance.currentState,
        previousState: instance.previousState,
        transition: transitionPart,
        success: true,
      };
    } catch (err) {
      throw asClientError(err);
    }
  }
}

function resolveEngine(app: AppContext, name: string | undefined, configuring: boolean): StateMachineEngine {
  if (name) {
    const svc = app.services.get(name);
    if (!StateMachineEngineCap.is(svc)) {
      const message = `state machine engine "${name}" not found (it must be a statemachine.engine module)`;
      throw configuring ? new ConfigValueError(message, { path: ['engine'] }) : new Error(message);
    }
    return svc;
  }
  const engines = app.services.findAll(StateMachineEngineCap);
  if (engines.length === 1 || (!configuring && engines.length > 0)) return engines[0].service;
  const message =
    engines.length === 0
      ? 'no statemachine.engine module found'
      : 'several statemachine.engine modules: name one with "engine"';
  throw configuring ? new ConfigValueError(message, { path: ['engine'] }) : new Error(message);
}

function parseHooks(app: AppContext, list: unknown[]): HookSpec[] {
  return list.map((raw, i) => {
    const h = new ConfigReader(isPlainObject(raw) ? raw : {});
    const handler = h.string('handler');
    if (!handler) throw new ConfigValueError(`hooks[${i}] needs a handler`, { path: ['hooks', i, 'handler'] });
    if (!app.services.has(handler)) {
      throw new ConfigValueError(`hooks[${i}]: handler "${handler}" is not a module of this app`, {
        path: ['hooks', i, 'handler'],
      });
    }
    return {
      workflowType: h.string('workflowType') || undefined,
      transitions: h.stringList('transitions'),
      fromStates: h.stringList('fromStates'),
      toStates: h.stringList('toStates'),
      handler,
    };
  });
}

function hookMatches(hook: HookSpec, e: TransitionEvent): boolean {
  const allows = (list: string[], value: string) => list.length === 0 || list.includes(value);
  return (
    (!hook.workflowType || hook.workflowType === e.workflowType) &&
    allows(hook.transitions, e.transition) &&
    allows(hook.fromStates, e.fromState) &&
    allows(hook.toStates, e.toState)
  );
}

async function runHooks(app: AppContext, hooks: HookSpec[], event: TransitionEvent): Promise<void> {
  for (const hook of hooks) {
    if (!hookMatches(hook, event)) continue;
    const handler = app.services.get(hook.handler);
    if (isTransitionListener(handler)) {
      await handler.handleTransition(event);
    } else if (MessageSubscriberCap.is(handler)) {
      const payload = {
        workflowId: event.workflowType,
        instanceId: event.instanceId,
        transition: event.transition,
        fromState: event.fromState,
        toState: event.toState,
        data: event.data,
      };
      await handler.handleMessage('statemachine.transition', Buffer.from(JSON.stringify(payload)));
    } else {
      app.logger.warn({ handler: hook.handler }, 'state machine hook handler cannot receive transitions; skipped');
    }
  }
}

function isTransitionListener(v: unknown): v is TransitionListener {
  return typeof (v as TransitionListener | undefined)?.handleTransition === 'function';
}
