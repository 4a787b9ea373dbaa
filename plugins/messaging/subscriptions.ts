// Parsing of `triggers.event|eventbus.subscriptions[]` shared by both triggers, and the inline
// pipeline trigger wrappers (`trigger: {type: event, config: {topic, event}}`).
import { ConfigValueError, type ConfigMap, type PipelineTriggerWrapper } from '../../engine/index.ts';
import { ConfigReader, describe, isPlainObject } from '../support/index.ts';
import { eventTypeOf } from './payload.ts';

export interface TriggerSubscription {
  topic: string;
  event?: string;
  workflow: string;
  action: string;
  async: boolean;
  params: ConfigMap;
}

export function parseSubscriptions(triggerType: string, config: ConfigMap): TriggerSubscription[] {
  const list = config.subscriptions;
  if (!Array.isArray(list)) {
    throw new ConfigValueError(`${triggerType} trigger: "subscriptions" must be a list, got ${describe(list)}`, {
      path: ['subscriptions'],
      hint: 'subscriptions: [{topic, workflow, action}]',
    });
  }
  return list.map((item, i) => {
    if (!isPlainObject(item))
      throw new ConfigValueError(`subscription ${i} must be a map`, { path: ['subscriptions', i] });
    const c = new ConfigReader(item);
    for (const key of ['topic', 'workflow', 'action']) {
      if (!c.string(key)) {
        throw new ConfigValueError(
          `${triggerType} trigger subscription ${i}: "${key}" is required (topic, workflow and action are required)`,
          {
            path: ['subscriptions', i, key],
          },
        );
      }
    }
    return {
      topic: c.string('topic')!,
      event: c.string('event') || undefined,
      workflow: c.string('workflow')!,
      action: c.string('action')!,
      async: c.boolean('async', false)!,
      params: c.map('params') ?? {},
    };
  });
}

/** Workflow data for a matched message, or undefined when the subscription's event filter rejects it. */
export function subscriptionData(sub: TriggerSubscription, data: ConfigMap): ConfigMap | undefined {
  if (sub.event && eventTypeOf(data) !== sub.event) return undefined;
  return { ...data, ...sub.params };
}

/** Inline `{topic, event, async}` -> one subscription running the pipeline (action `execute`). */
export function subscriptionWrapper(triggerType: 'event' | 'eventbus'): PipelineTriggerWrapper {
  return (pipelineName, config) => {
    const sub: ConfigMap = { workflow: `pipeline:${pipelineName}`, action: 'execute' };
    for (const key of ['topic', 'event', 'async', 'params']) if (config[key] !== undefined) sub[key] = config[key];
    return { triggerType, config: { subscriptions: [sub] } };
  };
}
