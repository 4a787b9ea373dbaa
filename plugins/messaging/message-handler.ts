// messaging.handler: a named subscriber. By default it logs each message (upstream behaviour); it can
// also forward the message to other topics and run a workflow or pipeline with the message's data.
import {
  MessageBrokerCap,
  type AppContext,
  type ConfigMap,
  type Logger,
  type MessageBroker,
  type MessageSubscriber,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { messageToData } from './payload.ts';

export const messageHandlerSchema: TypeSchema = {
  description: 'Message subscriber: logs messages, optionally forwards them and runs a workflow',
  configFields: [
    {
      key: 'targetTopics',
      type: 'array',
      aliases: ['forwardTo'],
      description: 'Topics every received message is forwarded to',
    },
    {
      key: 'broker',
      type: 'string',
      description: 'Broker used for forwarding (default: a broker in dependsOn, else the first broker)',
    },
    {
      key: 'pipeline',
      type: 'string',
      description: 'Pipeline to run with the message data (shorthand for workflow pipeline:<name>)',
    },
    { key: 'workflow', type: 'string', description: 'Workflow type to trigger with the message data' },
    { key: 'action', type: 'string', default: 'execute', description: 'Action passed with workflow' },
    {
      key: 'topic',
      type: 'string',
      description: 'Informational only (subscriptions come from workflows.messaging), as upstream',
    },
  ],
};

export class MessageHandlerModule implements Module, MessageSubscriber {
  readonly type = 'messaging.handler';
  private readonly targetTopics: string[];
  private readonly brokerName?: string;
  private readonly workflow?: { type: string; action: string };
  private app?: AppContext;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    private readonly dependsOn: string[] = [],
  ) {
    const c = new ConfigReader(config);
    this.targetTopics = c.stringList(['targetTopics', 'forwardTo']);
    this.brokerName = c.string('broker');
    const pipeline = c.string('pipeline');
    const workflow = pipeline ? `pipeline:${pipeline}` : c.string('workflow');
    if (workflow) this.workflow = { type: workflow, action: c.string('action', 'execute')! };
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: 'messaging.handler', module: this.name });
  }

  start(app: AppContext): void {
    // Pipelines are built after module init, so this is the first moment a typo can be caught.
    const pipeline = this.workflow?.type.startsWith('pipeline:')
      ? this.workflow.type.slice('pipeline:'.length)
      : undefined;
    if (pipeline && !app.workflows.hasPipeline(pipeline)) {
      throw new Error(`messaging.handler "${this.name}": pipeline "${pipeline}" is not defined in this app`);
    }
  }

  /** Extra forward targets (workflows.messaging.producers[].forwardTo). */
  addTargetTopics(topics: string[]): void {
    for (const t of topics) if (!this.targetTopics.includes(t)) this.targetTopics.push(t);
  }

  async handleMessage(topic: string, payload: Buffer): Promise<void> {
    this.logger?.info({ topic, bytes: payload.length }, 'message received');
    if (this.workflow && this.app) {
      await this.app.workflows.triggerWorkflow(this.workflow.type, this.workflow.action, {
        topic,
        ...messageToData(payload),
      });
    }
    const targets = this.targetTopics.filter((t) => t !== topic); // forwarding to itself would loop forever
    if (targets.length === 0) return;
    const broker = this.broker();
    if (!broker) {
      this.logger?.warn('cannot forward: no message broker found; add one or set config.broker');
      return;
    }
    for (const target of targets) await broker.publish(target, payload);
  }

  private broker(): MessageBroker | undefined {
    const services = this.app?.services;
    if (!services) return undefined;
    for (const name of [this.brokerName, ...this.dependsOn]) {
      if (!name) continue;
      const svc = services.get(name);
      if (MessageBrokerCap.is(svc)) return svc;
    }
    return services.find(MessageBrokerCap);
  }
}

export function createMessageHandler(spec: ModuleSpec): MessageHandlerModule {
  return new MessageHandlerModule(spec.name, spec.config, spec.dependsOn);
}
