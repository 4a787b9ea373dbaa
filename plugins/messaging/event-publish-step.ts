// step.event_publish: publish an event to the named broker (`broker`, alias `provider`), or onto the
// engine event bus when none is named (upstream's eventbus path). With `event_type` and `source` the
// broker message is a CloudEvents 1.0 envelope {specversion, id, time, type, source, data[, headers]};
// with only `headers`, {data, headers}; otherwise the payload itself. The event bus always gets the
// bare payload (upstream's EventBus wraps its own envelope).
import { randomUUID } from 'node:crypto';
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

export const eventPublishStepSchema: TypeSchema = {
  description: 'Publish an event (optionally as a CloudEvents envelope) to a broker or the engine event bus',
  configFields: [
    { key: 'topic', type: 'string', required: true, aliases: ['stream'], description: 'Topic (templates allowed)' },
    { key: 'payload', type: 'map', aliases: ['data'], description: 'Event data (templates); default all of Current' },
    { key: 'headers', type: 'map', description: 'Header name -> value (templates)' },
    { key: 'event_type', type: 'string', description: 'CloudEvents `type` (with `source`: full envelope)' },
    { key: 'source', type: 'string', description: 'CloudEvents `source` (template)' },
    {
      key: 'broker',
      type: 'string',
      aliases: ['provider'],
      description: 'Broker module; default: the engine event bus (eventbus triggers)',
    },
    { key: 'encryption', type: 'map', description: 'Field-level encryption: not supported here (see docs)' },
  ],
  outputs: [
    { key: 'published', type: 'boolean' },
    { key: 'topic', type: 'string' },
  ],
  validate(config) {
    const problems: Array<{ message: string; path?: string[]; hint?: string }> = [];
    for (const key of ['payload', 'data', 'headers']) {
      if (config[key] !== undefined && config[key] !== null && !isPlainObject(config[key]))
        problems.push({ message: `"${key}" must be a map`, path: [key] });
    }
    const enc = config.encryption;
    if (isPlainObject(enc) && enc.key_id && Array.isArray(enc.fields) && enc.fields.length > 0)
      problems.push({
        message: 'field-level event encryption is not supported by this engine',
        path: ['encryption'],
        hint: 'remove `encryption` (the event would otherwise be sent unencrypted), or encrypt before publishing',
      });
    return problems;
  },
};

export function createEventPublishStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const topic = ctx.templates.compile(c.requiredString(['topic', 'stream']), ['topic']);
  const payloadKey = c.has('payload') ? 'payload' : 'data';
  const payload = c.map(['payload', 'data']);
  const payloadT = payload ? ctx.templates.compile(payload, [payloadKey]) : undefined;
  const headers = Object.entries(c.map('headers') ?? {}).map(([k, v]) => ({
    name: k,
    value: ctx.templates.compile(String(v), ['headers', k]),
  }));
  const eventType = c.string('event_type') ?? '';
  const source = c.string('source') ? ctx.templates.compile(c.string('source'), ['source']) : undefined;
  const brokerName = c.string(['broker', 'provider']) || undefined;
  const publish = brokerTarget(ctx, spec, brokerName, 'event-bus');

  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const resolvedTopic = String(topic.resolve(pc));
      const data = payloadT ? (payloadT.resolve(pc) as ConfigMap) : pc.current;
      if (!brokerName) {
        await publish(resolvedTopic, data);
        return { output: { published: true, topic: resolvedTopic } };
      }
      const resolvedHeaders: Record<string, string> = {};
      for (const h of headers) resolvedHeaders[h.name] = String(h.value.resolve(pc));
      const resolvedSource = source ? String(source.resolve(pc)) : '';
      await publish(resolvedTopic, envelope(data, resolvedHeaders, eventType, resolvedSource));
      return { output: { published: true, topic: resolvedTopic } };
    },
  };
}

/** Upstream buildEventEnvelope: CloudEvents attributes only when both type and source are set. */
export function envelope(data: ConfigMap, headers: Record<string, string>, type: string, source: string): ConfigMap {
  const hasHeaders = Object.keys(headers).length > 0;
  if (!type && !source && !hasHeaders) return data;
  const out: ConfigMap = { data };
  if (type && source) {
    out.specversion = '1.0';
    out.id = randomUUID();
    out.time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    out.type = type;
    out.source = source;
  }
  if (hasHeaders) out.headers = headers;
  return out;
}
