// The pipelines section: each pipeline's steps and compensation steps (a template may refer to either),
// its timeout, on_error: compensate without compensation, and inline triggers nothing can fire.
import { parseDuration } from '../duration.ts';
import { asArray, type ConfigMap, isMap } from './collector.ts';
import { checkStepList, type StepListContext } from './steps.ts';

export function checkPipelines(ctx: StepListContext, cfg: ConfigMap): void {
  const { c, catalog } = ctx;
  if (isMap(cfg.pipelines)) {
    for (const [name, p] of Object.entries(cfg.pipelines)) {
      if (!isMap(p)) continue;
      const where = `pipeline ${name}`;
      const allNames = new Set<string>(
        [...asArray(p.steps), ...asArray(p.compensation)].filter(isMap).map((s) => String(s.name)),
      );
      checkStepList(ctx, p.steps, ['pipelines', name, 'steps'], where, allNames);
      checkStepList(ctx, p.compensation, ['pipelines', name, 'compensation'], `${where} compensation`, allNames);
      if (p.timeout !== undefined) {
        try {
          parseDuration(p.timeout);
        } catch (err) {
          c.error(['pipelines', name, 'timeout'], where, (err as Error).message);
        }
      }
      if (p.on_error === 'compensate' && asArray(p.compensation).length === 0) {
        c.warn(
          ['pipelines', name, 'on_error'],
          where,
          'on_error is compensate but the pipeline has no compensation steps',
        );
      }
      if (isMap(p.trigger) && typeof p.trigger.type === 'string') {
        const t = p.trigger.type;
        if (!catalog.triggerWrappers.has(t)) {
          c.warn(
            ['pipelines', name, 'trigger', 'type'],
            where,
            `no trigger of type "${t}" can start this pipeline; it is registered but only callable by name`,
            `known inline trigger types: ${[...catalog.triggerWrappers.keys()].join(', ') || '(none)'}`,
          );
        }
      }
    }
  }
}
