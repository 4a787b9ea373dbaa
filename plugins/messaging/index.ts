// plugins/messaging: brokers, handlers, webhook sender, the publish, event_publish and dlq steps,
// `event`/`eventbus` triggers and the `messaging` workflow handler (UPSTREAM.md 1.6, 1.7, 2.2).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createInMemoryBroker, inMemoryBrokerSchema } from './in-memory-broker.ts';
import { createEventBusBroker, eventBusBrokerSchema } from './eventbus-broker.ts';
import { createMessageHandler, messageHandlerSchema } from './message-handler.ts';
import { createNatsBroker, natsBrokerSchema } from './nats-broker.ts';
import { createWebhookSender, webhookSenderSchema } from './webhook-sender.ts';
import { createPublishStep, publishStepSchema } from './publish-step.ts';
import { createEventPublishStep, eventPublishStepSchema } from './event-publish-step.ts';
import { createDlqReplayStep, createDlqSendStep, dlqReplayStepSchema, dlqSendStepSchema } from './dlq-steps.ts';
import { EventTrigger } from './event-trigger.ts';
import { EventBusTrigger } from './eventbus-trigger.ts';
import { MessagingWorkflowHandler } from './messaging-workflow-handler.ts';
import { subscriptionWrapper } from './subscriptions.ts';

export const messagingPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'messaging.broker': createInMemoryBroker,
    'messaging.broker.eventbus': createEventBusBroker,
    'messaging.handler': createMessageHandler,
    'webhook.sender': createWebhookSender,
    'messaging.nats': createNatsBroker,
  },
  moduleSchemas: {
    'messaging.broker': inMemoryBrokerSchema,
    'messaging.broker.eventbus': eventBusBrokerSchema,
    'messaging.handler': messageHandlerSchema,
    'webhook.sender': webhookSenderSchema,
    'messaging.nats': natsBrokerSchema,
  },
  steps: {
    'step.publish': createPublishStep,
    'step.event_publish': createEventPublishStep,
    'step.dlq_send': createDlqSendStep,
    'step.dlq_replay': createDlqReplayStep,
  },
  stepSchemas: {
    'step.publish': publishStepSchema,
    'step.event_publish': eventPublishStepSchema,
    'step.dlq_send': dlqSendStepSchema,
    'step.dlq_replay': dlqReplayStepSchema,
  },
  triggers: { event: () => new EventTrigger(), eventbus: () => new EventBusTrigger() },
  workflowHandlers: { messaging: () => new MessagingWorkflowHandler() },
  pipelineTriggerWrappers: { event: subscriptionWrapper('event'), eventbus: subscriptionWrapper('eventbus') },
};

export { InMemoryBroker } from './in-memory-broker.ts';
export { EventBusBroker } from './eventbus-broker.ts';
export { NatsBroker } from './nats-broker.ts';
export { MessageHandlerModule } from './message-handler.ts';
export { WebhookSender, backoffDelay, type WebhookDelivery } from './webhook-sender.ts';
export { messageToData } from './payload.ts';
