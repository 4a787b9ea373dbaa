// Where a publishing step sends: the broker module it names, else a fallback. step.publish falls
// back to the app's first broker (then the engine event bus); upstream's event_publish, dlq_send
// and dlq_replay go straight to the event bus when no `broker` is named.
import { MessageBrokerCap, type ConfigMap, type StepBuildContext, type StepSpec } from '../../engine/index.ts';
import { moduleRef } from '../support/index.ts';

export type Publish = (topic: string, payload: ConfigMap | string) => Promise<void>;

export function brokerTarget(
  ctx: StepBuildContext,
  spec: StepSpec,
  brokerName: string | undefined,
  fallback: 'first-broker' | 'event-bus',
): Publish {
  const named = brokerName ? moduleRef(ctx, spec, brokerName, 'message broker', MessageBrokerCap) : undefined;
  return async (topic, payload) => {
    const broker = named ? named() : fallback === 'first-broker' ? ctx.services.find(MessageBrokerCap) : undefined;
    if (broker) return broker.publish(topic, payload);
    ctx.events.emit(topic, typeof payload === 'string' ? { message: payload } : payload);
  };
}
