// Trigger `event`: subscribes to broker topics and starts a workflow per matching message.
// The message's JSON fields become the workflow data (plus `originalMessage`, the raw text).
import {
  MessageBrokerCap,
  type AppContext,
  type ConfigMap,
  type MessageBroker,
  type Trigger,
} from '../../engine/index.ts';
import { messageToData } from './payload.ts';
import { parseSubscriptions, subscriptionData, type TriggerSubscription } from './subscriptions.ts';

/** Service names upstream looks at first, before "any broker". */
const PREFERRED_BROKERS = ['messageBroker', 'eventBroker', 'broker'];

export class EventTrigger implements Trigger {
  readonly type = 'event';
  private readonly subscriptions: Array<{ sub: TriggerSubscription; broker: MessageBroker }> = [];
  private unsubscribers: Array<() => void> = [];

  configure(app: AppContext, config: ConfigMap): void {
    const broker = findBroker(app, typeof config.broker === 'string' ? config.broker : undefined);
    for (const sub of parseSubscriptions('event', config)) this.subscriptions.push({ sub, broker });
  }

  start(app: AppContext): void {
    const logger = app.logger.child({ component: 'trigger.event' });
    for (const { sub, broker } of this.subscriptions) {
      this.unsubscribers.push(
        broker.subscribe(sub.topic, async (_topic, payload) => {
          const data = subscriptionData(sub, messageToData(payload));
          if (!data) return;
          logger.debug({ topic: sub.topic, workflow: sub.workflow, action: sub.action }, 'event matched');
          await app.workflows.triggerWorkflow(sub.workflow, sub.action, data);
        }),
      );
    }
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}

function findBroker(app: AppContext, explicit?: string): MessageBroker {
  for (const name of explicit ? [explicit] : PREFERRED_BROKERS) {
    const svc = app.services.get(name);
    if (MessageBrokerCap.is(svc)) return svc;
    if (explicit) throw new Error(`event trigger: "${explicit}" is not a message broker module`);
  }
  const any = app.services.find(MessageBrokerCap);
  if (!any) throw new Error('event trigger: no message broker found; add a messaging.broker module to the config');
  return any;
}
