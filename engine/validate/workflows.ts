// The workflows and triggers sections: a handler or trigger is loaded for each type, and the steps of
// HTTP workflow routes (inline `steps` or a `pipeline`) are checked like a pipeline's.
import type { ConfigPath } from '../contract.ts';
import { asArray, type ConfigMap, isMap, suggest } from './collector.ts';
import { checkStepList, type StepListContext } from './steps.ts';

export function checkWorkflowsAndTriggers(ctx: StepListContext, cfg: ConfigMap): void {
  const { c, catalog } = ctx;
  const handlers = catalog.createWorkflowHandlers();
  if (isMap(cfg.workflows)) {
    for (const type of Object.keys(cfg.workflows)) {
      if (!catalog.handlesWorkflowType(type, handlers)) {
        const near = suggest(type, catalog.workflowHandlers.keys());
        c.error(
          ['workflows', type],
          `workflows.${type}`,
          `unknown workflow type "${type}": no workflow handler is loaded for it`,
          near
            ? `did you mean "${near}"?`
            : `known workflow types: ${[...catalog.workflowHandlers.keys()].join(', ') || '(none)'}`,
          true,
        );
      }
    }
    for (const [type, section] of Object.entries(cfg.workflows)) {
      if (!isMap(section)) continue;
      asArray(section.routes).forEach((route, i) => {
        if (!isMap(route)) return;
        const stepsKey = isMap(route.pipeline) ? 'pipeline' : Array.isArray(route.steps) ? 'steps' : undefined;
        if (!stepsKey) return;
        const steps = stepsKey === 'pipeline' ? (route.pipeline as ConfigMap).steps : route.steps;
        const path: ConfigPath =
          stepsKey === 'pipeline'
            ? ['workflows', type, 'routes', i, 'pipeline', 'steps']
            : ['workflows', type, 'routes', i, 'steps'];
        checkStepList(
          ctx,
          steps,
          path,
          `workflows.${type} route ${String(route.method ?? '')} ${String(route.path ?? '')}`.trim(),
          new Set(),
        );
      });
    }
  }
  if (isMap(cfg.triggers)) {
    for (const type of Object.keys(cfg.triggers)) {
      if (!catalog.triggers.has(type)) {
        const near = suggest(type, catalog.triggers.keys());
        c.error(
          ['triggers', type],
          `triggers.${type}`,
          `unknown trigger type "${type}"`,
          near
            ? `did you mean "${near}"?`
            : `known trigger types: ${[...catalog.triggers.keys()].join(', ') || '(none)'}`,
          true,
        );
      }
    }
  }
}
