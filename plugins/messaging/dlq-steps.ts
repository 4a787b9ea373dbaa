// step.dlq_send / step.dlq_replay (upstream module/pipeline_step_dlq.go): dead-letter a message onto
// a DLQ topic and replay dead letters onto a target topic, through the named `broker` or, when none
// is named, the engine event bus.
// dlq_send wraps the payload (default: all of Current) as {payload, sent_at, original_topic?, error?}
// -> {dlq_sent: true, topic}. dlq_replay republishes, at most `max_messages` (100), the messages of
// Current: each entry of a `messages` list (its `payload` if it has one), else Current's `payload`
// map, else Current itself -> {replayed, target_topic, dlq_topic}.
import type {
  ConfigMap,
  PipelineContext,
  Step,
  StepBuildContext,
  StepResult,
  StepSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject } from '../support/index.ts';
import { brokerTarget } from './broker-target.ts';

const brokerField = {
  key: 'broker',
  type: 'string',
  description: 'Broker module; default: the engine event bus',
} as const;

export const dlqSendStepSchema: TypeSchema = {
  description: 'Send the current message, with error metadata, to a dead letter queue topic',
  configFields: [
    { key: 'topic', type: 'string', required: true, description: 'DLQ topic (template)' },
    { key: 'original_topic', type: 'string', description: 'Topic the message came from (recorded in the envelope)' },
    { key: 'error', type: 'string', description: 'Error message (template)' },
    { key: 'payload', type: 'map', description: 'Message (templates); default all of Current' },
    brokerField,
  ],
  outputs: [
    { key: 'dlq_sent', type: 'boolean' },
    { key: 'topic', type: 'string' },
  ],
  validate: (config) =>
    config.payload !== undefined && config.payload !== null && !isPlainObject(config.payload)
      ? [{ message: '"payload" must be a map', path: ['payload'] }]
      : [],
};

export const dlqReplayStepSchema: TypeSchema = {
  description: 'Replay dead-lettered messages (from Current) onto a target topic',
  configFields: [
    { key: 'dlq_topic', type: 'string', required: true, description: 'DLQ topic the messages came from' },
    { key: 'target_topic', type: 'string', required: true, description: 'Topic to republish to (template)' },
    { key: 'max_messages', type: 'number', default: 100, description: 'At most this many messages per run' },
    brokerField,
  ],
  outputs: [
    { key: 'replayed', type: 'number' },
    { key: 'target_topic', type: 'string' },
    { key: 'dlq_topic', type: 'string' },
  ],
};

export function createDlqSendStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const topic = ctx.templates.compile(c.requiredString('topic'), ['topic']);
  const originalTopic = c.string('original_topic') ?? '';
  const error = c.string('error') ? ctx.templates.compile(c.string('error'), ['error']) : undefined;
  const payload = c.map('payload');
  const payloadT = payload ? ctx.templates.compile(payload, ['payload']) : undefined;
  const publish = brokerTarget(ctx, spec, c.string('broker') || undefined, 'event-bus');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const resolvedTopic = String(topic.resolve(pc));
      const message: ConfigMap = {
        payload: payloadT ? (payloadT.resolve(pc) as ConfigMap) : pc.current,
        sent_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      if (originalTopic) message.original_topic = originalTopic;
      const errorText = error ? String(error.resolve(pc)) : '';
      if (errorText) message.error = errorText;
      await publish(resolvedTopic, message);
      return { output: { dlq_sent: true, topic: resolvedTopic } };
    },
  };
}

export function createDlqReplayStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const dlqTopic = c.requiredString('dlq_topic');
  const target = ctx.templates.compile(c.requiredString('target_topic'), ['target_topic']);
  const configuredMax = Math.trunc(c.number('max_messages', 100)!);
  const maxMessages = configuredMax > 0 ? configuredMax : 100;
  const publish = brokerTarget(ctx, spec, c.string('broker') || undefined, 'event-bus');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const targetTopic = String(target.resolve(pc));
      const messages = deadLetters(pc.current).slice(0, maxMessages);
      if (messages.length === 0) return { output: { replayed: 0, target_topic: targetTopic } };
      for (const [i, message] of messages.entries()) {
        try {
          await publish(targetTopic, message);
        } catch (err) {
          throw new Error(`failed to replay message ${i}: ${(err as Error).message}`, { cause: err });
        }
      }
      return { output: { replayed: messages.length, target_topic: targetTopic, dlq_topic: dlqTopic } };
    },
  };
}

/** A batch (`messages`) or one DLQ envelope, unwrapped to the original payloads. */
export function deadLetters(current: ConfigMap): ConfigMap[] {
  if (Array.isArray(current.messages)) {
    return current.messages.filter(isPlainObject).map((m) => (isPlainObject(m.payload) ? m.payload : m));
  }
  if (isPlainObject(current.payload)) return [current.payload];
  return [current];
}
