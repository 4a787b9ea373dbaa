// step.actor_send / step.actor_ask: a message `{type*, payload}` (templates) to an actor.pool
// (`pool`*). `identity` (template) addresses one actor of an auto-managed pool (required there);
// permanent pools route by their `routing`. send is fire-and-forget -> {delivered: true} (a failing
// handler is logged); ask waits up to `timeout` (10s) and outputs the handler's answer (a map, else
// {response}). Broadcast pools take send only.
import {
  ConfigValueError,
  formatValue,
  isPlainMap,
  type ConfigMap,
  type PipelineContext,
  type Step,
  type StepBuildContext,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import type { Actor, ActorMessage } from './actor.ts';
import { ActorPoolCap } from './actor-pool.ts';

const commonFields = [
  { key: 'pool', type: 'string', required: true, description: 'actor.pool module' },
  { key: 'identity', type: 'string', description: 'actor identity (template); required for auto-managed pools' },
  { key: 'message', type: 'map', required: true, description: '{type, payload} (templates)' },
] as const;

export const actorSendSchema: TypeSchema = {
  description: 'Sends a message to an actor without waiting (tell)',
  configFields: [...commonFields],
  outputs: [{ key: 'delivered', type: 'boolean' }],
};

export const actorAskSchema: TypeSchema = {
  description: "Sends a message to an actor and outputs its handler's answer",
  configFields: [...commonFields, { key: 'timeout', type: 'duration', default: '10s' }],
  outputs: [{ key: '*', type: 'any', description: "the handler's answer" }],
};

interface Target {
  route(pc: PipelineContext): { actors: Actor[]; msg: ActorMessage; broadcast: boolean };
}

function target(spec: StepSpec, ctx: StepBuildContext): Target {
  const cfg = new ConfigReader(spec.config);
  const poolName = cfg.requiredString('pool', 'pool: order-processors');
  const message = cfg.map('message');
  if (!message || typeof message.type !== 'string' || message.type === '')
    throw new ConfigValueError('"message" must be a map with a "type"', {
      path: ['message'],
      hint: 'message: { type: ProcessOrder, payload: { order_id: "{{ .body.order_id }}" } }',
    });
  const compiled = ctx.templates.compile(message, ['message']);
  const identity = cfg.has('identity') ? ctx.templates.compile(cfg.string('identity') ?? '', ['identity']) : undefined;
  const pool = moduleRef(ctx, spec, poolName, 'actor pool', ActorPoolCap);
  return {
    route(pc) {
      const resolved = compiled.resolve(pc) as ConfigMap;
      const msg = { type: formatValue(resolved.type), payload: isPlainMap(resolved.payload) ? resolved.payload : {} };
      const id = identity ? formatValue(identity.resolve(pc)) : '';
      const p = pool();
      try {
        const broadcast = p.mode === 'permanent' && p.routing === 'broadcast';
        return { actors: p.select(id === '<no value>' ? '' : id, msg), msg, broadcast };
      } catch (err) {
        throw new Error(`${spec.type} "${spec.name}": ${(err as Error).message}`);
      }
    },
  };
}

export function createActorSendStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const t = target(spec, ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { actors, msg } = t.route(pc);
      for (const actor of actors)
        actor
          .deliver(msg)
          .catch((err: Error) => pc.logger.warn({ step: spec.name, err: err.message }, 'actor message failed'));
      return { output: { delivered: true } };
    },
  };
}

export function createActorAskStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const t = target(spec, ctx);
  const timeoutMs = new ConfigReader(spec.config).duration('timeout', 10_000)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { actors, msg, broadcast } = t.route(pc);
      if (broadcast || actors.length !== 1)
        throw new Error(
          `step.actor_ask "${spec.name}": broadcast routing is not supported for ask (use step.actor_send)`,
        );
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `step.actor_ask "${spec.name}": no answer from "${actors[0]!.identity}" within ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        const answer = await Promise.race([actors[0]!.deliver(msg), timedOut]);
        return { output: isPlainMap(answer) ? answer : { response: answer } };
      } catch (err) {
        const m = (err as Error).message;
        throw new Error(m.startsWith('step.actor_ask') ? m : `step.actor_ask "${spec.name}": ${m}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
