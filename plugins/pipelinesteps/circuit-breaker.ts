// step.resilient_circuit_breaker: guards the nested `step`. After `failure_threshold` (5) failures
// in a row the circuit opens: for `reset_timeout` (60s) the step is not called; the `fallback` step
// runs instead (or the step fails at once with "circuit is open"). Then one trial call goes through
// (half-open): success closes the circuit, failure opens it again. The state lives as long as the
// app, shared by every request through this step. Output: the step's (or fallback's) output plus
// `circuit_breaker_open`.
import { ConfigValueError, type Step, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { CircuitBreaker, ConfigReader } from '../support/index.ts';
import { buildSubStep } from './sub-step.ts';

export const circuitBreakerSchema: TypeSchema = {
  description: 'Stops calling a failing nested step for a while (circuit breaker), with an optional fallback',
  configFields: [
    { key: 'step', type: 'map', required: true, description: 'the guarded step' },
    { key: 'fallback', type: 'map', description: 'the step to run while the circuit is open' },
    { key: 'failure_threshold', type: 'number', default: 5, description: 'failures in a row that open it' },
    { key: 'reset_timeout', type: 'duration', default: '60s', description: 'how long it stays open' },
  ],
  outputs: [
    { key: '*', type: 'any', description: "the step's or the fallback's output" },
    { key: 'circuit_breaker_open', type: 'boolean' },
  ],
};

export const createCircuitBreakerStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const threshold = cfg.number('failure_threshold', 5)!;
  if (threshold <= 0)
    throw new ConfigValueError('"failure_threshold" must be positive', { path: ['failure_threshold'] });
  const breaker = new CircuitBreaker(Math.floor(threshold), cfg.duration('reset_timeout', 60_000)!);
  const step = buildSubStep(ctx, spec.name, spec.config.step, 'step');
  const fallback: Step | undefined = cfg.has('fallback')
    ? buildSubStep(ctx, spec.name, spec.config.fallback, 'fallback')
    : undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (!breaker.allows(Date.now())) {
        if (!fallback) throw new Error(`circuit_breaker "${spec.name}": circuit is open`);
        let result: Awaited<ReturnType<Step['execute']>>;
        try {
          result = await fallback.execute(pc);
        } catch (err) {
          throw new Error(`circuit_breaker "${spec.name}": fallback failed: ${(err as Error).message}`);
        }
        return { ...result, output: { ...(result?.output ?? {}), circuit_breaker_open: true } };
      }
      let result: Awaited<ReturnType<Step['execute']>>;
      try {
        result = await step.execute(pc);
      } catch (err) {
        breaker.failed(Date.now());
        throw err;
      }
      breaker.succeeded();
      return { ...result, output: { ...(result?.output ?? {}), circuit_breaker_open: false } };
    },
  };
};
