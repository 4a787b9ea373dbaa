// Workflow handler `messaging`: wires `workflows.messaging.subscriptions[{topic, handler}]` onto a
// broker and, when triggered, publishes (`action` = "topic" or "broker:topic").
// `producers[{name, forwardTo[]|topic}]` are parsed like upstream and, unlike upstream's no-op,
// make the named messaging.handler forward what it receives to those topics.
import {
  ConfigValueError,
  MessageBrokerCap,
  MessageSubscriberCap,
  type AppContext,
  type ConfigMap,
  type MessageBroker,
  type WorkflowHandler,
} from '../../engine/index.ts';
import { ConfigReader, describe, isPlainObject } from '../support/index.ts';
import { MessageHandlerModule } from './message-handler.ts';

export class MessagingWorkflowHandler implements WorkflowHandler {
  canHandle(workflowType: string): boolean {
    return workflowType === 'messaging';
  }

  configure(app: AppContext, _type: string, section: unknown): void {
    if (!isPlainObject(section))
      throw new ConfigValueError(`workflows.messaging must be a map, got ${describe(section)}`);
    const c = new ConfigReader(section);
    const broker = resolveBroker(app, c.string('broker'));
    c.list('subscriptions').forEach((item, i) => {
      const sub = new ConfigReader(isPlainObject(item) ? item : {});
      const topic = sub.string('topic');
      const handlerName = sub.string('handler');
      if (!topic || !handlerName) {
        throw new ConfigValueError(`subscription ${i}: topic and handler are required`, { path: ['subscriptions', i] });
      }
      const handler = app.services.get(handlerName);
      if (handler === undefined) {
        throw new ConfigValueError(`subscription ${i}: handler "${handlerName}" is not a module of this app`, {
          path: ['subscriptions', i, 'handler'],
        });
      }
      if (!MessageSubscriberCap.is(handler)) {
        throw new ConfigValueError(`subscription ${i}: module "${handlerName}" cannot handle messages`, {
          path: ['subscriptions', i, 'handler'],
          hint: 'use a messaging.handler (or another message subscriber such as webhook.sender)',
        });
      }
      broker.subscribe(topic, handler);
    });
    c.list('producers').forEach((item, i) => {
      const p = new ConfigReader(isPlainObject(item) ? item : {});
      const name = p.string('name');
      const topics = [...p.stringList('forwardTo'), ...p.stringList('topic')];
      const producer = name ? app.services.get(name) : undefined;
      if (producer instanceof MessageHandlerModule) producer.addTargetTopics(topics);
      else
        app.logger.debug(
          { producer: name, index: i },
          'messaging producer is not a messaging.handler; ignored as upstream',
        );
    });
  }

  async execute(app: AppContext, _type: string, action: string, data: ConfigMap): Promise<ConfigMap> {
    const [brokerPart, topicPart] = action.includes(':') ? action.split(':', 2) : [undefined, action];
    const brokerName = brokerPart || (typeof data.broker === 'string' ? data.broker : undefined);
    const broker = resolveBroker(app, brokerName);
    if (!topicPart)
      throw new Error('messaging workflow: topic not specified (action must be "topic" or "broker:topic")');
    const message = data.message;
    const payload = typeof message === 'string' ? message : JSON.stringify(message !== undefined ? message : data);
    await broker.publish(topicPart, payload);
    return { success: true, broker: brokerName ?? '', topic: topicPart, length: Buffer.byteLength(payload) };
  }
}

function resolveBroker(app: AppContext, name?: string): MessageBroker {
  if (name) {
    const svc = app.services.get(name);
    if (!MessageBrokerCap.is(svc))
      throw new ConfigValueError(`messaging: broker "${name}" is not a message broker module`, { path: ['broker'] });
    return svc;
  }
  const broker = app.services.find(MessageBrokerCap);
  if (!broker)
    throw new ConfigValueError('messaging: no message broker service found', { hint: 'add a messaging.broker module' });
  return broker;
}
