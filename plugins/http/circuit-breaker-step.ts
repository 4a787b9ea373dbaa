// step.circuit_breaker (upstream module/pipeline_step_circuit_breaker.go): a gate in front of the
// rest of the pipeline. While the circuit is open the step fails at once (503) and nothing after it
// runs. Each run that passes the gate is judged when it ends: a failure (anything but a client
// error, 4xx) counts towards `failure_threshold` (5 in a row opens the circuit); after `timeout`
// (30s) the circuit is half-open and lets runs through, `success_threshold` (3) successes in a row
// close it, one failure opens it again. Output {circuit_breaker: {state, service, allowed,
// transitioned?}}. The state machine is the one shared with step.resilient_circuit_breaker.
import {
  ConfigValueError,
  ValidationError,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { CircuitBreaker, ConfigReader, checkedBy, type CircuitState } from '../support/index.ts';

interface CircuitBreakerConfig {
  failureThreshold: number;
  successThreshold: number;
  timeoutMs: number;
  service?: string;
}

function parseCircuitBreaker(config: ConfigMap): CircuitBreakerConfig {
  const cfg = new ConfigReader(config);
  const positive = (key: string, fallback: number) => {
    const n = cfg.number(key, fallback)!;
    if (!(n >= 1)) throw new ConfigValueError(`"${key}" must be a positive whole number`, { path: [key] });
    return Math.floor(n);
  };
  return {
    failureThreshold: positive('failure_threshold', 5),
    successThreshold: positive('success_threshold', 3),
    timeoutMs: cfg.duration('timeout', 30_000)!,
    service: cfg.string('service_name') || undefined,
  };
}

export const circuitBreakerStepSchema: TypeSchema = {
  description: 'Stops running the rest of the pipeline for a while after it failed several times in a row',
  configFields: [
    { key: 'failure_threshold', type: 'number', default: 5, description: 'failures in a row that open it' },
    { key: 'success_threshold', type: 'number', default: 3, description: 'half-open successes that close it' },
    { key: 'timeout', type: 'duration', default: '30s', description: 'how long it stays open' },
    { key: 'service_name', type: 'string', description: 'name in messages and output (default: the step name)' },
  ],
  outputs: [{ key: 'circuit_breaker', type: 'map', description: '{state, service, allowed, transitioned?}' }],
  validate: checkedBy(parseCircuitBreaker),
};

/** A failed run counts against the circuit unless the caller was at fault (a 4xx). */
function countsAsFailure(error: unknown): boolean {
  return !(error instanceof ValidationError && error.status < 500);
}

export const createCircuitBreakerGateStep: StepFactory = (spec) => {
  const c = parseCircuitBreaker(spec.config);
  const service = c.service ?? spec.name;
  const breaker = new CircuitBreaker(c.failureThreshold, c.timeoutMs, c.successThreshold);
  let lastSeen: CircuitState = 'closed';
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const state = breaker.state(Date.now());
      const transitioned = state === 'half-open' && lastSeen === 'open';
      lastSeen = state;
      if (state === 'open')
        throw new ValidationError(`circuit_breaker step "${spec.name}": circuit is open for service "${service}"`, 503);
      pc.onFinish?.((error) => {
        if (error === undefined) breaker.succeeded();
        else if (countsAsFailure(error)) {
          breaker.failed(Date.now());
          lastSeen = breaker.state(Date.now());
        }
      });
      const out: ConfigMap = { state, service, allowed: true };
      if (transitioned) out.transitioned = true;
      return { output: { circuit_breaker: out } };
    },
  };
};
