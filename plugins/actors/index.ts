// plugins/actors: actor.system, actor.pool, step.actor_send / step.actor_ask and the `actors`
// workflow handler (upstream's goakt-based actors plugin, on the engine's own pipelines).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { actorPoolSchema, createActorPool } from './actor-pool.ts';
import { actorAskSchema, actorSendSchema, createActorAskStep, createActorSendStep } from './actor-steps.ts';
import { actorSystemSchema, createActorSystem } from './actor-system.ts';
import { ActorsWorkflowHandler } from './actors-workflow-handler.ts';

export const actorsPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'actor.system': createActorSystem, 'actor.pool': createActorPool },
  moduleSchemas: { 'actor.system': actorSystemSchema, 'actor.pool': actorPoolSchema },
  steps: { 'step.actor_send': createActorSendStep, 'step.actor_ask': createActorAskStep },
  stepSchemas: { 'step.actor_send': actorSendSchema, 'step.actor_ask': actorAskSchema },
  workflowHandlers: { actors: () => new ActorsWorkflowHandler() },
};

export { ActorPoolModule, ActorPoolCap, type ActorPool } from './actor-pool.ts';
