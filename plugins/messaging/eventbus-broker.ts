// messaging.broker.eventbus: a MessageBroker over the engine's own event bus (app.events), the TS
// counterpart of upstream's bridge to the modular EventBus. Publishing emits the topic as an engine
// event, so `eventbus` triggers and any engine-event listener see it; delivery is fire-and-forget.
import type {
  AppContext,
  ConfigMap,
  Logger,
  MessageBroker,
  MessageSubscriber,
  Module,
  ModuleSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { toPayloadBuffer } from './payload.ts';
import type { SubscriberFn } from './in-memory-broker.ts';

export const eventBusBrokerSchema: TypeSchema = {
  description: 'Message broker that publishes onto the engine event bus (for eventbus triggers)',
  configFields: [],
};

export class EventBusBroker implements Module, MessageBroker {
  readonly type = 'messaging.broker.eventbus';
  private app?: AppContext;
  private logger?: Logger;

  constructor(readonly name: string) {}

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: 'messaging.broker.eventbus', module: this.name });
  }

  async publish(topic: string, payload: Buffer | string | ConfigMap): Promise<void> {
    this.requireApp().events.emit(topic, eventPayload(payload));
  }

  subscribe(topic: string, subscriber: MessageSubscriber | SubscriberFn): () => void {
    const events = this.requireApp().events;
    const listener = (event: ConfigMap) => {
      const bytes = toPayloadBuffer(event);
      const run = typeof subscriber === 'function' ? subscriber(topic, bytes) : subscriber.handleMessage(topic, bytes);
      Promise.resolve(run).catch((err: Error) =>
        this.logger?.error({ topic, err: err.message }, 'event subscriber failed'),
      );
    };
    events.on(topic, listener);
    return () => events.off(topic, listener);
  }

  private requireApp(): AppContext {
    if (!this.app) throw new Error(`event bus broker "${this.name}" used before init`);
    return this.app;
  }
}

/** Engine events carry maps: JSON objects pass through, anything else is wrapped as {message}. */
function eventPayload(payload: Buffer | string | ConfigMap): ConfigMap {
  if (!Buffer.isBuffer(payload) && typeof payload === 'object') return payload;
  const text = toPayloadBuffer(payload).toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as ConfigMap;
    return { message: parsed };
  } catch {
    return { message: text };
  }
}

export function createEventBusBroker(spec: ModuleSpec): EventBusBroker {
  return new EventBusBroker(spec.name);
}
