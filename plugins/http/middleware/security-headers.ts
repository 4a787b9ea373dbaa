// http.middleware.securityheaders: the usual hardening headers, each configurable.
import type {
  ConfigMap,
  HttpHandlerFn,
  HttpMiddleware,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../../engine/index.ts';

export const securityHeadersSchema: TypeSchema = {
  description: 'Adds Content-Security-Policy, X-Frame-Options, HSTS and related headers',
  configFields: [
    { key: 'contentSecurityPolicy', type: 'string', default: "default-src 'self'" },
    { key: 'frameOptions', type: 'string', default: 'DENY' },
    { key: 'contentTypeOptions', type: 'string', default: 'nosniff' },
    { key: 'hstsMaxAge', type: 'number', default: 31536000 },
    { key: 'referrerPolicy', type: 'string', default: 'strict-origin-when-cross-origin' },
    { key: 'permissionsPolicy', type: 'string' },
  ],
};

export class SecurityHeadersMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.securityheaders';
  private readonly headers: Array<[string, string]> = [];

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const pick = (key: string, fallback?: string) =>
      config[key] === undefined ? fallback : config[key] === '' ? undefined : String(config[key]);
    const entries: Array<[string, string | undefined]> = [
      ['Content-Security-Policy', pick('contentSecurityPolicy', "default-src 'self'")],
      ['X-Frame-Options', pick('frameOptions', 'DENY')],
      ['X-Content-Type-Options', pick('contentTypeOptions', 'nosniff')],
      ['Referrer-Policy', pick('referrerPolicy', 'strict-origin-when-cross-origin')],
      ['Permissions-Policy', pick('permissionsPolicy')],
    ];
    const hsts = Number(config.hstsMaxAge ?? 31536000);
    if (hsts > 0) entries.push(['Strict-Transport-Security', `max-age=${hsts}; includeSubDomains`]);
    for (const [k, v] of entries) if (v !== undefined) this.headers.push([k, v]);
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    return (req, res, params) => {
      for (const [k, v] of this.headers) res.setHeader(k, v);
      return next(req, res, params);
    };
  }
}

export const createSecurityHeadersMiddleware: ModuleFactory = (spec) =>
  new SecurityHeadersMiddleware(spec.name, spec.config);
