// step.publish: publish a payload (default: the pipeline's Current data) to a topic.
// Target: the named `broker`, else the app's first message broker, else the engine event bus.
import type {
  ConfigMap,
  PipelineContext,
  Step,
  StepBuildContext,
  StepResult,
  StepSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { brokerTarget } from './broker-target.ts';

export const publishStepSchema: TypeSchema = {
  description: 'Publish a message to a topic on a broker (or the engine event bus)',
  configFields: [
    { key: 'topic', type: 'string', required: true, description: 'Topic (templates allowed)' },
    {
      key: 'broker',
      type: 'string',
      description: 'Broker module name; default the first broker, else the engine event bus',
    },
    { key: 'payload', type: 'map', description: 'Message body (templates allowed); default all of Current' },
  ],
  outputs: [
    { key: 'published', type: 'boolean' },
    { key: 'topic', type: 'string' },
  ],
};

export function createPublishStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const c = new ConfigReader(spec.config);
  const topic = ctx.templates.compile(c.requiredString('topic'), ['topic']);
  const payload = c.has('payload') ? ctx.templates.compile(c.raw('payload'), ['payload']) : undefined;
  const publish = brokerTarget(ctx, spec, c.string('broker'), 'first-broker');

  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const resolvedTopic = String(topic.resolve(pc));
      const body = (payload ? payload.resolve(pc) : pc.current) as ConfigMap | string;
      await publish(resolvedTopic, body);
      return { output: { published: true, topic: resolvedTopic } };
    },
  };
}
