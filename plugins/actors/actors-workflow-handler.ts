// Workflow `actors`: `pools.<pool>.receive.<MessageType>: {description?, steps*}` defines each
// pool's message handlers. Every handler becomes the pipeline "actor:<pool>:<type>", built (and
// its config errors located) when the app loads. Actors are driven by step.actor_send/ask only:
// triggering the workflow directly is an error, as upstream.
import {
  ConfigValueError,
  isPlainMap,
  type AppContext,
  type ConfigMap,
  type WorkflowHandler,
} from '../../engine/index.ts';
import { handlerPipelineName } from './actor.ts';

export class ActorsWorkflowHandler implements WorkflowHandler {
  canHandle(workflowType: string): boolean {
    return workflowType === 'actors';
  }

  configure(app: AppContext, _workflowType: string, config: unknown): void {
    const base = ['workflows', 'actors'];
    if (!isPlainMap(config) || !isPlainMap(config.pools))
      throw new ConfigValueError(
        'workflows.actors needs a "pools" map: pool name -> {receive: {MessageType: {steps}}}',
        {
          path: [...base, 'pools'],
        },
      );
    for (const [pool, poolConfig] of Object.entries(config.pools)) {
      const at = [...base, 'pools', pool];
      if (!isPlainMap(poolConfig) || !isPlainMap(poolConfig.receive))
        throw new ConfigValueError(`pool "${pool}": "receive" must map message types to handlers`, {
          path: [...at, 'receive'],
          hint: 'receive: { ProcessOrder: { steps: [...] } }',
        });
      for (const [type, handler] of Object.entries(poolConfig.receive)) {
        const steps = isPlainMap(handler) ? handler.steps : undefined;
        if (!Array.isArray(steps) || steps.length === 0)
          throw new ConfigValueError(`pool "${pool}" handler "${type}": "steps" must be a non-empty list`, {
            path: [...at, 'receive', type, 'steps'],
          });
        if (!app.workflows.definePipeline)
          throw new Error('workflows.actors: this engine cannot define pipelines from workflow sections');
        app.workflows.definePipeline(handlerPipelineName(pool, type), { steps } as ConfigMap, {
          configPath: [...at, 'receive', type],
        });
      }
    }
  }

  async execute(): Promise<ConfigMap> {
    throw new Error('actor workflows are message-driven; use step.actor_send or step.actor_ask to send messages');
  }
}
