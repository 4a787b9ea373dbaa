// State machine definitions from `workflows.statemachine.definitions[]`: parsed and checked once,
// with errors that point at the definition, state or transition (paths relative to the section).
import { ConfigValueError, type ConfigMap, type ConfigPath } from '../../engine/index.ts';
import { ConfigReader, describe, isPlainObject } from '../support/index.ts';

export interface StateDef {
  name: string;
  description: string;
  isFinal: boolean;
  isError: boolean;
  data: ConfigMap;
}

export interface TransitionDef {
  name: string;
  fromState: string;
  toState: string;
  /** Parsed and kept for tooling; not evaluated (upstream does not evaluate it either). */
  condition?: string;
  autoTransform: boolean;
  data: ConfigMap;
}

export interface StateMachineDefinition {
  name: string;
  description: string;
  initialState: string;
  states: Map<string, StateDef>;
  transitions: Map<string, TransitionDef>;
}

export function parseDefinitions(list: unknown, path: ConfigPath = ['definitions']): StateMachineDefinition[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigValueError(`definitions must be a list, got ${describe(list)}`, { path });
  const seen = new Set<string>();
  return list.map((item, i) => {
    const def = parseDefinition(item, [...path, i]);
    if (seen.has(def.name))
      throw new ConfigValueError(`duplicate state machine definition "${def.name}"`, { path: [...path, i, 'name'] });
    seen.add(def.name);
    return def;
  });
}

export function parseDefinition(raw: unknown, path: ConfigPath): StateMachineDefinition {
  if (!isPlainObject(raw)) throw new ConfigValueError(`a definition must be a map, got ${describe(raw)}`, { path });
  const c = new ConfigReader(raw);
  const name = c.string('name');
  if (!name) throw new ConfigValueError('definition is missing "name"', { path: [...path, 'name'] });
  const initialState = c.string('initialState');
  if (!initialState)
    throw new ConfigValueError(`definition "${name}" is missing "initialState"`, { path: [...path, 'initialState'] });

  const states = new Map<string, StateDef>();
  for (const [stateName, s] of Object.entries(c.map('states') ?? {})) {
    const sc = new ConfigReader(isPlainObject(s) ? s : {});
    const at = [...path, 'states', stateName];
    states.set(stateName, {
      name: stateName,
      description: sc.string('description', '')!,
      isFinal: readBool(sc, 'isFinal', at),
      isError: readBool(sc, 'isError', at),
      data: sc.map('data') ?? {},
    });
  }
  if (states.size === 0)
    throw new ConfigValueError(`definition "${name}" must have at least one state`, { path: [...path, 'states'] });
  if (!states.has(initialState)) {
    throw new ConfigValueError(
      `initial state "${initialState}" of "${name}" is not one of its states (${[...states.keys()].join(', ')})`,
      {
        path: [...path, 'initialState'],
      },
    );
  }

  const transitions = new Map<string, TransitionDef>();
  for (const [transitionName, t] of Object.entries(c.map('transitions') ?? {})) {
    const at = [...path, 'transitions', transitionName];
    if (!isPlainObject(t)) throw new ConfigValueError(`transition "${transitionName}" must be a map`, { path: at });
    const tc = new ConfigReader(t);
    const fromState = tc.string('fromState');
    const toState = tc.string('toState');
    for (const [key, value] of [
      ['fromState', fromState],
      ['toState', toState],
    ] as const) {
      if (!value)
        throw new ConfigValueError(`transition "${transitionName}" is missing "${key}"`, { path: [...at, key] });
      if (!states.has(value)) {
        throw new ConfigValueError(`transition "${transitionName}": ${key} "${value}" is not a state of "${name}"`, {
          path: [...at, key],
        });
      }
    }
    transitions.set(transitionName, {
      name: transitionName,
      fromState: fromState!,
      toState: toState!,
      condition: tc.string('condition') || undefined,
      autoTransform: readBool(tc, 'autoTransform', at),
      data: tc.map('data') ?? {},
    });
  }
  return { name, description: c.string('description', '')!, initialState, states, transitions };
}

function readBool(c: ConfigReader, key: string, at: ConfigPath): boolean {
  try {
    return c.boolean(key, false)!;
  } catch (err) {
    throw new ConfigValueError((err as Error).message, { path: [...at, key] });
  }
}
