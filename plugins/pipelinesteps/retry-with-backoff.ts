// step.retry_with_backoff: runs the nested `step` until it succeeds, at most 1 + `max_retries` (3)
// times, waiting `initial_delay` (1s) * `multiplier` (2)^n between attempts, capped at `max_delay`
// (30s). Output: the nested step's output plus `retry_attempts` (retries it took). The waits end
// early when the pipeline is cancelled or times out.
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, exponentialDelay, sleep } from '../support/index.ts';
import { buildSubStep } from './sub-step.ts';

export const retryWithBackoffSchema: TypeSchema = {
  description: 'Retries a nested step with exponential backoff',
  configFields: [
    { key: 'step', type: 'map', required: true, description: 'the step to run' },
    { key: 'max_retries', type: 'number', default: 3 },
    { key: 'initial_delay', type: 'duration', default: '1s' },
    { key: 'max_delay', type: 'duration', default: '30s' },
    { key: 'multiplier', type: 'number', default: 2 },
  ],
  outputs: [
    { key: '*', type: 'any', description: "the nested step's output" },
    { key: 'retry_attempts', type: 'number', description: 'retries before it succeeded' },
  ],
};

export const createRetryWithBackoffStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const maxRetries = Math.max(0, Math.floor(cfg.number('max_retries', 3)!));
  const initialMs = cfg.duration('initial_delay', 1000)!;
  const maxMs = cfg.duration('max_delay', 30_000)!;
  const m = cfg.number('multiplier', 2)!;
  const multiplier = m > 0 ? m : 2;
  const step = buildSubStep(ctx, spec.name, spec.config.step, 'step');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let lastError: unknown;
      for (let attempt = 0; attempt <= maxRetries; attempt++) {
        if (attempt > 0) await sleep(exponentialDelay(initialMs, multiplier, maxMs, attempt), pc.signal);
        try {
          const result = await step.execute(pc);
          return { ...result, output: { ...(result?.output ?? {}), retry_attempts: attempt } };
        } catch (err) {
          lastError = err;
          pc.logger.debug({ step: spec.name, attempt, err: (err as Error).message }, 'retrying');
        }
      }
      throw new Error(
        `retry_with_backoff "${spec.name}": all ${maxRetries + 1} attempts failed: ` +
          `${(lastError as Error)?.message ?? String(lastError)}`,
      );
    },
  };
};
