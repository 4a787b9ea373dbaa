// step.rate_limit (upstream module/pipeline_step_rate_limit.go): a token bucket per key in front of
// the rest of the pipeline. `requests_per_minute` (60) refill, `burst_size` (10) capacity, `key_from`
// (template; default one bucket for all: "global"). Over the limit the step fails as a 429 with
// Retry-After; otherwise the output is {rate_limit: {allowed: true, key}}. The buckets are the one
// rate limiter of the project (common/TokenBuckets), kept per step for the app's lifetime.
import { TokenBuckets } from '../../common/index.ts';
import {
  ConfigValueError,
  ValidationError,
  type CompiledValue,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy } from '../support/index.ts';

interface RateLimitConfig {
  requestsPerMinute: number;
  burst: number;
  keyFrom: string;
}

function parseRateLimit(config: ConfigMap): RateLimitConfig {
  const cfg = new ConfigReader(config);
  const requestsPerMinute = cfg.number('requests_per_minute', 60)!;
  if (!(requestsPerMinute > 0))
    throw new ConfigValueError('"requests_per_minute" must be positive', { path: ['requests_per_minute'] });
  const burst = cfg.number('burst_size', 10)!;
  if (!(burst >= 1))
    throw new ConfigValueError('"burst_size" must be at least 1 (requests allowed at once)', { path: ['burst_size'] });
  return { requestsPerMinute, burst: Math.floor(burst), keyFrom: cfg.string('key_from', 'global') || 'global' };
}

export const rateLimitStepSchema: TypeSchema = {
  description: 'Limits how often the rest of the pipeline runs, per key (token bucket); 429 when exceeded',
  configFields: [
    { key: 'requests_per_minute', type: 'number', default: 60 },
    { key: 'burst_size', type: 'number', default: 10, description: 'requests allowed at once' },
    { key: 'key_from', type: 'string', default: 'global', description: 'template naming the bucket, e.g. a client id' },
  ],
  outputs: [{ key: 'rate_limit', type: 'map', description: '{allowed: true, key}' }],
  validate: checkedBy(parseRateLimit),
};

export const createRateLimitStep: StepFactory = (spec, ctx) => {
  const { requestsPerMinute, burst, keyFrom } = parseRateLimit(spec.config);
  const buckets = new TokenBuckets({ perSecond: requestsPerMinute / 60, burst });
  const template: CompiledValue | undefined =
    keyFrom === 'global' ? undefined : ctx.templates.compile(keyFrom, ['key_from']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let key = keyFrom;
      if (template) {
        // as upstream: a key that does not resolve falls back to the template text itself
        try {
          const resolved = String(template.resolve(pc) ?? '');
          if (resolved !== '') key = resolved;
        } catch {}
      }
      const taken = buckets.take(key);
      if (!taken.allowed) {
        if (pc.http && !pc.http.res.headersSent) pc.http.res.setHeader('Retry-After', String(taken.retryAfterSeconds));
        throw new ValidationError(`rate_limit step "${spec.name}": rate limit exceeded for key "${key}"`, 429);
      }
      return { output: { rate_limit: { allowed: true, key } } };
    },
  };
};
