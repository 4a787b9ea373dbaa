// Trigger `eventbus`: listens on the engine event bus (app.events; messaging.broker.eventbus
// publishes there) and starts a workflow per matching event. Delivery never blocks the emitter;
// failures are logged.
import type { AppContext, ConfigMap, Trigger } from '../../engine/index.ts';
import { parseSubscriptions, subscriptionData, type TriggerSubscription } from './subscriptions.ts';

export class EventBusTrigger implements Trigger {
  readonly type = 'eventbus';
  private readonly subscriptions: TriggerSubscription[] = [];
  private listeners: Array<{ topic: string; listener: (payload: ConfigMap) => void }> = [];
  private app?: AppContext;

  configure(_app: AppContext, config: ConfigMap): void {
    this.subscriptions.push(...parseSubscriptions('eventbus', config));
  }

  start(app: AppContext): void {
    this.app = app;
    const logger = app.logger.child({ component: 'trigger.eventbus' });
    for (const sub of this.subscriptions) {
      const listener = (payload: ConfigMap) => {
        const data = subscriptionData(sub, { ...(payload ?? {}) });
        if (!data) return;
        app.workflows
          .triggerWorkflow(sub.workflow, sub.action, data)
          .catch((err: Error) =>
            logger.error({ topic: sub.topic, workflow: sub.workflow, err: err.message }, 'eventbus workflow failed'),
          );
      };
      app.events.on(sub.topic, listener);
      this.listeners.push({ topic: sub.topic, listener });
    }
  }

  stop(): void {
    for (const { topic, listener } of this.listeners.splice(0)) this.app?.events.off(topic, listener);
  }
}
