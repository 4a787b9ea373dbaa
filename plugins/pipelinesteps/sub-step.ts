// Building the one nested step of a wrapper step (retry_with_backoff, resilient_circuit_breaker):
// upstream lets it go without a name and calls it "<parent>-<field>".
import { ConfigValueError, isPlainMap, type Step, type StepBuildContext } from '../../engine/index.ts';

export function buildSubStep(ctx: StepBuildContext, parent: string, raw: unknown, field: string): Step {
  if (!isPlainMap(raw))
    throw new ConfigValueError(`"${field}" must be a step (a map with type and config)`, {
      path: [field],
      hint: `${field}: { type: step.http_call, config: { url: "...", method: GET } }`,
    });
  const spec = typeof raw.name === 'string' && raw.name !== '' ? raw : { ...raw, name: `${parent}-${field}` };
  const [step] = ctx.buildSteps([spec], [field]);
  if (!step) throw new ConfigValueError(`"${field}" is not a valid step`, { path: [field] });
  return step;
}
