import type { Capability, StepBuildContext, StepSpec } from '../../engine/index.ts';

/**
 * The module a step names (database, store, engine, broker...), looked up when the step runs.
 * Upstream resolves these at run time, so a config naming an undeclared module still loads (the
 * corpus has one); it is reported as a warning at load and as a clear error if the step runs.
 */
export function moduleRef<T>(
  ctx: StepBuildContext,
  spec: StepSpec,
  name: string,
  what: string,
  cap: Capability<T>,
): () => T {
  if (!ctx.services.has(name)) {
    ctx.logger.warn(
      { pipeline: spec.pipeline, step: spec.name },
      `${what} "${name}" is not declared; step "${spec.name}" will fail when it runs`,
    );
  }
  return () => {
    const svc = ctx.services.get(name);
    if (svc === undefined) throw new Error(`step "${spec.name}": ${what} "${name}" is not a module of this app`);
    if (!cap.is(svc)) throw new Error(`step "${spec.name}": module "${name}" is not a ${what}`);
    return svc;
  };
}
