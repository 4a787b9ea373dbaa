// http.middleware.cors: CORS headers and preflight answers. A wiring hook also installs every CORS
// module as a global middleware on the routers, so OPTIONS preflights reach it even for routes that
// only declare GET/POST (upstream "http-cors-global-wiring").
import type {
  ConfigMap,
  HttpHandlerFn,
  HttpMiddleware,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../../engine/index.ts';

export const corsSchema: TypeSchema = {
  description: 'Cross-origin resource sharing headers and preflight responses',
  configFields: [
    { key: 'allowedOrigins', type: 'array', default: ['*'] },
    { key: 'allowedMethods', type: 'array', default: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] },
    { key: 'allowedHeaders', type: 'array', default: ['Content-Type', 'Authorization'] },
    { key: 'exposedHeaders', type: 'array' },
    { key: 'allowCredentials', type: 'boolean', default: false },
    { key: 'maxAge', type: 'number', description: 'preflight cache seconds' },
  ],
};

const list = (v: unknown, fallback: string[]): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()) : fallback;
const APPLIED = Symbol('cors-applied');

export class CorsMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.cors';
  private readonly origins: string[];
  private readonly methods: string;
  private readonly headers: string;
  private readonly exposed?: string;
  private readonly credentials: boolean;
  private readonly maxAge?: string;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.origins = list(config.allowedOrigins, ['*']);
    this.methods = list(config.allowedMethods, ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']).join(', ');
    this.headers = list(config.allowedHeaders, ['Content-Type', 'Authorization']).join(', ');
    this.exposed = config.exposedHeaders ? list(config.exposedHeaders, []).join(', ') : undefined;
    this.credentials = config.allowCredentials === true;
    this.maxAge = config.maxAge !== undefined ? String(config.maxAge) : undefined;
  }

  private allowOrigin(origin: string): string | undefined {
    if (this.origins.includes('*')) return this.credentials ? origin : '*';
    return this.origins.includes(origin) ? origin : undefined;
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    return (req, res, params) => {
      const r = req as unknown as Record<symbol, boolean>;
      if (r[APPLIED]) return next(req, res, params);
      r[APPLIED] = true;
      const origin = req.headers.origin;
      if (!origin) return next(req, res, params);
      const allowed = this.allowOrigin(origin);
      if (allowed) {
        res.setHeader('Access-Control-Allow-Origin', allowed);
        if (allowed !== '*') res.setHeader('Vary', 'Origin');
        if (this.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
        if (this.exposed) res.setHeader('Access-Control-Expose-Headers', this.exposed);
      }
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        if (allowed) {
          res.setHeader('Access-Control-Allow-Methods', this.methods);
          res.setHeader('Access-Control-Allow-Headers', this.headers);
          if (this.maxAge) res.setHeader('Access-Control-Max-Age', this.maxAge);
        }
        res.statusCode = allowed ? 204 : 403;
        res.end();
        return;
      }
      return next(req, res, params);
    };
  }
}

export const createCorsMiddleware: ModuleFactory = (spec) => new CorsMiddleware(spec.name, spec.config);
