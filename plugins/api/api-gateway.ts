// api.gateway (upstream module/api_gateway.go): one module that routes by path prefix (longest
// first) to backend URLs through the repo's one reverse proxy (common/reverse-proxy.ts), after CORS,
// a global and a per-route rate limit (common/TokenBuckets, per client address), an auth check and a
// method check, in upstream's order. Mounted on the app's router for its prefixes (any method), and
// routable by name from workflows.http like any HTTP handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequest, TokenBuckets } from '../../common/index.ts';
import {
  ConfigValueError,
  type ConfigMap,
  type ConfigPath,
  type HttpHandler,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { clientAddress } from '../http/index.ts';
import { ConfigReader, checkedBy, describe, isPlainObject, writeJson } from '../support/index.ts';

export const AUTH_TYPES = ['bearer', 'api_key', 'basic'] as const;

export interface GatewayRoute {
  pathPrefix: string;
  backend: URL;
  stripPrefix: boolean;
  /** Upper case; empty: any method. */
  methods: string[];
  auth: boolean;
  timeoutMs?: number;
  rateLimit?: RateLimit;
}

interface RateLimit {
  requestsPerMinute: number;
  burstSize: number;
}

export interface GatewayConfig {
  routes: GatewayRoute[];
  globalRateLimit?: RateLimit;
  cors?: { allowOrigins: string[]; allowMethods: string[]; allowHeaders: string[]; maxAge: number };
  auth?: { type: string; header: string };
  trustProxy: boolean;
}

function stringList(raw: unknown, path: ConfigPath): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string'))
    throw new ConfigValueError(`"${path.join('.')}" must be a list of strings, got ${describe(raw)}`, { path });
  return raw as string[];
}

function mapAt(raw: unknown, path: ConfigPath): ConfigMap | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw))
    throw new ConfigValueError(`"${path.join('.')}" must be a map, got ${describe(raw)}`, { path });
  return raw;
}

function rateLimitAt(raw: unknown, path: ConfigPath): RateLimit | undefined {
  const m = mapAt(raw, path);
  if (!m) return undefined;
  const r = new ConfigReader(m);
  let rpm = 0;
  let burst = 0;
  try {
    rpm = r.number('requestsPerMinute') ?? 0;
    burst = r.number('burstSize') ?? 0;
  } catch (e) {
    if (!(e instanceof ConfigValueError)) throw e;
    throw new ConfigValueError(e.message, { path: [...path, ...e.path] });
  }
  // upstream: no limit unless requestsPerMinute > 0; burst defaults to requestsPerMinute
  if (!(rpm > 0)) return undefined;
  return { requestsPerMinute: rpm, burstSize: burst >= 1 ? burst : rpm };
}

function backendUrl(raw: unknown, path: ConfigPath): URL {
  try {
    const u = new URL(String(raw));
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch {}
  throw new ConfigValueError(`invalid backend URL ${JSON.stringify(raw ?? '')}`, {
    path,
    hint: 'an http(s) URL, e.g. "http://orders:8080"',
  });
}

/** Parse an api.gateway config; errors carry the path of the key at fault. */
export function parseGatewayConfig(config: ConfigMap): GatewayConfig {
  const rawRoutes = config.routes;
  if (!Array.isArray(rawRoutes))
    throw new ConfigValueError(`"routes" must be a list of routes, got ${describe(rawRoutes)}`, {
      path: ['routes'],
      hint: 'e.g. routes: [{ pathPrefix: /api/orders, backend: "http://orders:8080" }]',
    });
  const routes = rawRoutes.map((raw, i): GatewayRoute => {
    const at: ConfigPath = ['routes', i];
    const m = mapAt(raw, at) ?? {};
    const prefix = m.pathPrefix;
    if (typeof prefix !== 'string' || prefix === '')
      throw new ConfigValueError(`routes[${i}] needs a pathPrefix`, {
        path: [...at, 'pathPrefix'],
        hint: 'e.g. /api/orders',
      });
    const r = new ConfigReader(m);
    let stripPrefix = false;
    let auth = false;
    let timeoutMs: number | undefined;
    try {
      stripPrefix = r.boolean('stripPrefix') ?? false;
      auth = r.boolean('auth') ?? false;
      timeoutMs = r.duration('timeout');
    } catch (e) {
      if (!(e instanceof ConfigValueError)) throw e;
      throw new ConfigValueError(e.message, { path: [...at, ...e.path], hint: e.hint });
    }
    return {
      pathPrefix: prefix,
      backend: backendUrl(m.backend, [...at, 'backend']),
      stripPrefix,
      methods: stringList(m.methods, [...at, 'methods']).map((s) => s.toUpperCase()),
      auth,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(m.rateLimit !== undefined ? { rateLimit: rateLimitAt(m.rateLimit, [...at, 'rateLimit']) } : {}),
    };
  });
  const corsMap = mapAt(config.cors, ['cors']);
  const authMap = mapAt(config.auth, ['auth']);
  let auth: GatewayConfig['auth'];
  if (authMap) {
    const type = typeof authMap.type === 'string' ? authMap.type : '';
    if (type !== '' && !(AUTH_TYPES as readonly string[]).includes(type))
      throw new ConfigValueError(`auth.type must be one of: ${AUTH_TYPES.join(', ')}; got "${type}"`, {
        path: ['auth', 'type'],
      });
    auth = { type, header: typeof authMap.header === 'string' && authMap.header ? authMap.header : 'Authorization' };
  }
  return {
    // longest prefix first, as upstream
    routes: routes.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length),
    ...(config.globalRateLimit !== undefined
      ? { globalRateLimit: rateLimitAt(config.globalRateLimit, ['globalRateLimit']) }
      : {}),
    ...(corsMap
      ? {
          cors: {
            allowOrigins: stringList(corsMap.allowOrigins, ['cors', 'allowOrigins']),
            allowMethods: stringList(corsMap.allowMethods, ['cors', 'allowMethods']),
            allowHeaders: stringList(corsMap.allowHeaders, ['cors', 'allowHeaders']),
            maxAge: new ConfigReader(corsMap).number('maxAge') ?? 0,
          },
        }
      : {}),
    ...(auth ? { auth } : {}),
    trustProxy: new ConfigReader(config).boolean('trustProxy') ?? false,
  };
}

export const apiGatewaySchema: TypeSchema = {
  description:
    'API gateway: routes by path prefix to backend URLs with CORS, global and per-route rate limits, auth ' +
    'and method checks, through the reverse proxy',
  configFields: [
    {
      key: 'routes',
      type: 'array',
      required: true,
      description: '[{pathPrefix*, backend*, stripPrefix, methods[], auth, timeout, rateLimit}], longest prefix wins',
    },
    { key: 'globalRateLimit', type: 'map', description: '{requestsPerMinute, burstSize} per client for all routes' },
    { key: 'cors', type: 'map', description: '{allowOrigins[], allowMethods[], allowHeaders[], maxAge}' },
    { key: 'auth', type: 'map', description: `{type: ${AUTH_TYPES.join(' | ')}, header (Authorization)}` },
    {
      key: 'trustProxy',
      type: 'boolean',
      default: false,
      description: 'rate-limit clients by X-Forwarded-For (only behind a proxy that sets it)',
    },
  ],
  validate: checkedBy(parseGatewayConfig),
};

function limiter(limit: RateLimit | undefined): TokenBuckets | undefined {
  return limit ? new TokenBuckets({ perSecond: limit.requestsPerMinute / 60, burst: limit.burstSize }) : undefined;
}

export class ApiGateway implements Module, HttpHandler {
  readonly type = 'api.gateway';
  private readonly globalLimiter?: TokenBuckets;
  private readonly routeLimiters = new Map<GatewayRoute, TokenBuckets>();

  constructor(
    readonly name: string,
    readonly config: GatewayConfig,
  ) {
    this.globalLimiter = limiter(config.globalRateLimit);
    for (const route of config.routes) {
      const l = limiter(route.rateLimit);
      if (l) this.routeLimiters.set(route, l);
    }
  }

  /** The prefixes to mount on the router. */
  prefixes(): string[] {
    return this.config.routes.map((r) => r.pathPrefix);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { cors, auth } = this.config;
    if (cors) {
      this.applyCors(req, res);
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
    }
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const route = this.config.routes.find((r) => path.startsWith(r.pathPrefix));
    if (!route) return writeJson(res, 404, { error: 'no route matched' });
    const client = clientAddress(req, this.config.trustProxy);
    for (const l of [this.globalLimiter, this.routeLimiters.get(route)]) {
      const d = l?.take(client);
      if (d && !d.allowed)
        return writeJson(res, 429, { error: 'rate limit exceeded' }, { 'Retry-After': String(d.retryAfterSeconds) });
    }
    if (route.auth && auth && !credentialPresent(req, auth)) return writeJson(res, 401, { error: 'unauthorized' });
    if (route.methods.length > 0 && !route.methods.includes((req.method ?? 'GET').toUpperCase()))
      return writeJson(res, 405, { error: 'method not allowed' });
    await forwardRequest(req, res, {
      targets: [route.backend],
      ...(route.stripPrefix ? { stripPrefix: route.pathPrefix } : {}),
      ...(route.timeoutMs !== undefined ? { timeoutMs: route.timeoutMs } : {}),
      fail: (r, failure) => {
        if (r.headersSent) return void r.destroy();
        writeJson(r, failure.status, { error: 'backend unavailable', backend: route.backend.host, path });
      },
    });
  }

  private applyCors(req: IncomingMessage, res: ServerResponse): void {
    const cors = this.config.cors!;
    // one origin per answer (browsers reject a list): "*" or the request's origin when it is allowed
    const origin = req.headers.origin;
    if (cors.allowOrigins.includes('*')) res.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin && cors.allowOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (cors.allowMethods.length > 0) res.setHeader('Access-Control-Allow-Methods', cors.allowMethods.join(', '));
    if (cors.allowHeaders.length > 0) res.setHeader('Access-Control-Allow-Headers', cors.allowHeaders.join(', '));
    if (cors.maxAge > 0) res.setHeader('Access-Control-Max-Age', String(cors.maxAge));
  }
}

/**
 * Upstream's check: the credential is present in the expected form (`Bearer `, `Basic `, any API key).
 * It does not verify it; put http.middleware.auth in front, or verify in the backend.
 */
function credentialPresent(req: IncomingMessage, auth: { type: string; header: string }): boolean {
  const raw = req.headers[auth.header.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return false;
  if (auth.type === 'bearer') return value.startsWith('Bearer ');
  if (auth.type === 'basic') return value.startsWith('Basic ');
  return true;
}

export const createApiGateway: ModuleFactory = (spec) => new ApiGateway(spec.name, parseGatewayConfig(spec.config));
