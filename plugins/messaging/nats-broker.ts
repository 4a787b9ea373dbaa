// messaging.nats: a message broker on a real NATS server (`url`, default nats://localhost:4222;
// `name` the client's connection name). Topics are NATS subjects; every app subscribed to a
// subject gets each message (NATS fan-out), so several engine processes can share one broker.
// Subscriptions made before start (workflows.messaging, event triggers) are opened when it connects;
// start fails with a clear message when no server answers; afterwards the client reconnects by itself.
// Why @nats-io/transport-node: the NATS project's own client (nats.js v3), Node 18+.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type {
  AppContext,
  ConfigMap,
  Logger,
  MessageBroker,
  MessageSubscriber,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { toPayloadBuffer } from './payload.ts';

type SubscriberFn = (topic: string, payload: Buffer, meta?: ConfigMap) => void | Promise<void>;
type Subscriber = MessageSubscriber | SubscriberFn;

export const natsBrokerSchema: TypeSchema = {
  description: 'Message broker on a NATS server',
  configFields: [
    { key: 'url', type: 'string', default: 'nats://localhost:4222', description: 'server URL(s), comma separated' },
    { key: 'name', type: 'string', description: 'connection name shown by the server' },
  ],
};

export class NatsBroker implements Module, MessageBroker {
  readonly type = 'messaging.nats';
  private readonly servers: string[];
  private readonly connectionName: string;
  private readonly subscribers = new Map<string, Subscriber[]>();
  private readonly subscriptions = new Map<string, Subscription>();
  private connection?: NatsConnection;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.servers = (c.string('url') || 'nats://localhost:4222').split(',').map((s) => s.trim());
    this.connectionName = c.string('name') || name;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'messaging.nats', module: this.name });
  }

  async start(): Promise<void> {
    const { connect } = await import('@nats-io/transport-node');
    try {
      this.connection = await connect({ servers: this.servers, name: this.connectionName, timeout: 5000 });
    } catch (err) {
      throw new Error(
        `messaging.nats "${this.name}": cannot reach NATS at ${this.servers.join(', ')} (` +
          `${(err as Error).message}); is nats-server running there?`,
      );
    }
    for (const topic of this.subscribers.keys()) this.open(topic);
  }

  async stop(): Promise<void> {
    const nc = this.connection;
    this.connection = undefined;
    this.subscriptions.clear();
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  async publish(topic: string, payload: Buffer | string | ConfigMap): Promise<void> {
    if (!this.connection) throw new Error(`messaging.nats "${this.name}" is not connected (the app is not started)`);
    this.connection.publish(topic, toPayloadBuffer(payload));
  }

  subscribe(topic: string, subscriber: Subscriber): () => void {
    const list = this.subscribers.get(topic) ?? [];
    list.push(subscriber);
    this.subscribers.set(topic, list);
    if (this.connection && !this.subscriptions.has(topic)) this.open(topic);
    return () => {
      const current = this.subscribers.get(topic);
      const i = current?.indexOf(subscriber) ?? -1;
      if (i !== -1) current!.splice(i, 1);
      if (current && current.length === 0) {
        this.subscribers.delete(topic);
        this.subscriptions.get(topic)?.unsubscribe();
        this.subscriptions.delete(topic);
      }
    };
  }

  /** Waits until the server has seen every subscription and publish so far (tests, ordered hand-offs). */
  async flush(): Promise<void> {
    await this.connection?.flush();
  }

  private open(topic: string): void {
    const sub = this.connection!.subscribe(topic, {
      callback: (err, msg) => {
        if (err) {
          this.logger?.warn({ topic, err: err.message }, 'NATS subscription error');
          return;
        }
        void this.deliver(topic, Buffer.from(msg.data), msg.subject);
      },
    });
    this.subscriptions.set(topic, sub);
  }

  private async deliver(topic: string, payload: Buffer, subject: string): Promise<void> {
    for (const sub of [...(this.subscribers.get(topic) ?? [])]) {
      try {
        if (typeof sub === 'function') await sub(subject, payload);
        else await sub.handleMessage(subject, payload);
      } catch (err) {
        this.logger?.warn({ topic, err: (err as Error).message }, 'subscriber failed');
      }
    }
  }
}

export const createNatsBroker: ModuleFactory = (spec) => new NatsBroker(spec.name, spec.config);
