// http.middleware.ratelimit: a token bucket per client address — `requestsPerMinute` (60) or
// `requestsPerHour` refill, `burstSize` (10) capacity. Over the limit: 429 JSON with Retry-After.
import type {
  ConfigMap,
  HttpHandlerFn,
  HttpMiddleware,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../../engine/index.ts';
import { TokenBuckets } from '../../../common/index.ts';
import { clientAddress, writeError } from '../http-io.ts';

export const rateLimitSchema: TypeSchema = {
  description: 'Limits requests per client address (token bucket); 429 when exceeded',
  configFields: [
    { key: 'requestsPerMinute', type: 'number', default: 60 },
    { key: 'requestsPerHour', type: 'number', description: 'alternative to requestsPerMinute' },
    { key: 'burstSize', type: 'number', default: 10 },
    { key: 'trustProxy', type: 'boolean', default: false, description: 'key clients by X-Forwarded-For' },
  ],
  validate(config) {
    const problems = [];
    for (const k of ['requestsPerMinute', 'requestsPerHour']) {
      if (config[k] !== undefined && !(Number(config[k]) > 0))
        problems.push({ message: `${k} must be a positive number`, path: [k] });
    }
    if (config.burstSize !== undefined && !(Number(config.burstSize) >= 1))
      problems.push({
        message: 'burstSize must be at least 1 (requests a client may send at once)',
        path: ['burstSize'],
      });
    return problems;
  },
};

export class RateLimitMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.ratelimit';
  private readonly buckets: TokenBuckets;
  private readonly limit: number;
  private readonly trustProxy: boolean;

  constructor(
    readonly name: string,
    config: ConfigMap,
    now: () => number = Date.now,
  ) {
    const perHour = config.requestsPerHour !== undefined && config.requestsPerMinute === undefined;
    const perSecond = perHour ? Number(config.requestsPerHour) / 3600 : Number(config.requestsPerMinute ?? 60) / 60;
    this.limit = config.burstSize !== undefined ? Number(config.burstSize) : 10;
    this.buckets = new TokenBuckets({ perSecond, burst: this.limit, now });
    this.trustProxy = config.trustProxy === true;
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    const limit = String(this.limit);
    return (req, res, params) => {
      const d = this.buckets.take(clientAddress(req, this.trustProxy));
      res.setHeader('X-RateLimit-Limit', limit);
      res.setHeader('X-RateLimit-Remaining', String(d.remaining));
      if (!d.allowed) {
        writeError(res, 429, 'rate limit exceeded; retry later', { 'Retry-After': String(d.retryAfterSeconds) });
        return;
      }
      return next(req, res, params);
    };
  }
}

export const createRateLimitMiddleware: ModuleFactory = (spec) => new RateLimitMiddleware(spec.name, spec.config);
