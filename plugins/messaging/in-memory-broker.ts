// messaging.broker: in-memory pub/sub. Publish delivers to every subscriber of the exact topic, one
// after another, before it resolves (upstream delivers synchronously); a failing or slow subscriber
// is logged and skipped, never reported to the publisher. No subscribers means a silent no-op.
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
import { ConfigReader, formatGoDuration } from '../support/index.ts';
import { toPayloadBuffer } from './payload.ts';

export type SubscriberFn = (topic: string, payload: Buffer, meta?: ConfigMap) => void | Promise<void>;
type Subscriber = MessageSubscriber | SubscriberFn;

export const inMemoryBrokerSchema: TypeSchema = {
  description: 'In-memory message broker: synchronous delivery to exact-topic subscribers',
  configFields: [
    { key: 'maxQueueSize', type: 'number', default: 10000, description: 'Maximum subscribers per topic' },
    {
      key: 'deliveryTimeout',
      type: 'duration',
      default: '30s',
      description: 'How long one subscriber may take before delivery moves on',
    },
  ],
};

export class InMemoryBroker implements Module, MessageBroker {
  readonly type: string;
  private readonly subscribers = new Map<string, Subscriber[]>();
  private readonly maxSubscribersPerTopic: number;
  private readonly deliveryTimeoutMs: number;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    type = 'messaging.broker',
  ) {
    this.type = type;
    const c = new ConfigReader(config);
    this.maxSubscribersPerTopic = c.number('maxQueueSize', 10000)!;
    this.deliveryTimeoutMs = c.duration('deliveryTimeout', 30_000)!;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'messaging.broker', module: this.name });
    // Upstream exposes the two halves of a broker as separate services.
    app.services.register(`${this.name}.producer`, {
      sendMessage: (topic: string, payload: Buffer | string | ConfigMap) => this.publish(topic, payload),
    });
    app.services.register(`${this.name}.consumer`, {
      subscribe: (topic: string, sub: Subscriber) => this.subscribe(topic, sub),
      unsubscribe: (topic: string) => void this.subscribers.delete(topic),
    });
  }

  subscribe(topic: string, subscriber: Subscriber): () => void {
    const list = this.subscribers.get(topic) ?? [];
    if (list.length >= this.maxSubscribersPerTopic) {
      throw new Error(`broker "${this.name}": topic "${topic}" already has ${list.length} subscribers (maxQueueSize)`);
    }
    list.push(subscriber);
    this.subscribers.set(topic, list);
    return () => {
      const current = this.subscribers.get(topic);
      if (!current) return;
      const i = current.indexOf(subscriber);
      if (i !== -1) current.splice(i, 1);
    };
  }

  subscriberCount(topic: string): number {
    return this.subscribers.get(topic)?.length ?? 0;
  }

  async publish(topic: string, payload: Buffer | string | ConfigMap, meta?: ConfigMap): Promise<void> {
    const list = this.subscribers.get(topic);
    if (!list || list.length === 0) return;
    const bytes = toPayloadBuffer(payload);
    for (const subscriber of [...list]) {
      await this.deliver(topic, subscriber, bytes, meta);
    }
  }

  private async deliver(topic: string, subscriber: Subscriber, payload: Buffer, meta?: ConfigMap): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const delivery = Promise.resolve(
        typeof subscriber === 'function'
          ? subscriber(topic, payload, meta)
          : subscriber.handleMessage(topic, payload, meta),
      );
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.deliveryTimeoutMs);
        timer.unref();
      });
      if ((await Promise.race([delivery, timeout])) === 'timeout') {
        this.logger?.warn(
          { topic },
          `subscriber did not finish within deliveryTimeout ${formatGoDuration(this.deliveryTimeoutMs)}; moving on`,
        );
        delivery.catch((err: Error) => this.logger?.error({ topic, err: err.message }, 'late subscriber failed'));
      }
    } catch (err) {
      this.logger?.error({ topic, err: (err as Error).message }, 'subscriber failed to handle message');
    } finally {
      clearTimeout(timer);
    }
  }
}

export function createInMemoryBroker(spec: ModuleSpec): InMemoryBroker {
  return new InMemoryBroker(spec.name, spec.config);
}
