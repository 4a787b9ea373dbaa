// Reverse proxies: http.simple_proxy (`targets: {"/prefix": "http://backend"}`) and
// reverseproxy / http.proxy (upstream's modular reverse proxy, configured by its module config or
// the top-level `reverseproxy:` section: backend_services, routes, composite_routes,
// default_backend, timeout). Longest prefix wins; the request goes through the one reverse proxy
// (common/reverse-proxy.ts: bodies stream both ways); its errors are answered here as JSON 502/504.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { forwardRequest, type ProxyFailure } from '../../common/index.ts';
import {
  ConfigValueError,
  parseDuration,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { writeError } from './http-io.ts';

/** A proxy's failure as the engine answers errors: JSON 502 or 504. */
function failAsJson(res: ServerResponse, failure: ProxyFailure): void {
  if (res.headersSent) return void res.destroy();
  writeError(res, failure.status, `bad gateway: ${failure.message}`);
}

export interface ProxyTarget {
  /** The full URL to send the request to. */
  url: URL;
  /** The headers to send (the caller chooses which of the client's to pass on); host is set here. */
  headers: OutgoingHttpHeaders;
  /** The request body when the client's was already read (a pipeline's trigger reads it); else streamed. */
  body?: Buffer;
}

/**
 * Sends the client's request (method, body) to exactly `target.url` through the one reverse proxy and
 * streams the answer back, status and headers included. Failures answer JSON 502, timeouts 504.
 * Resolves with the upstream status (undefined when the upstream could not be reached). step.http_proxy
 * uses it.
 */
export function proxyTo(
  req: IncomingMessage,
  res: ServerResponse,
  target: ProxyTarget,
  timeoutMs: number,
): Promise<number | undefined> {
  return forwardRequest(req, res, {
    targets: [target.url],
    exactTarget: true,
    headers: target.headers,
    ...(target.body ? { body: target.body } : {}),
    timeoutMs,
    fail: failAsJson,
  });
}

export interface ProxyRoute {
  prefix: string;
  target: URL;
}

function normalizeRoutePrefix(p: string): string {
  let s = p.trim();
  if (!s.startsWith('/')) s = '/' + s;
  return s.length > 1 ? s.replace(/\/+$/, '') : s;
}

function parseTarget(raw: unknown, path: Array<string | number>): URL {
  try {
    const u = new URL(String(raw));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    return u;
  } catch {
    throw new ConfigValueError(`proxy target ${JSON.stringify(raw)} is not an http(s) URL`, {
      path,
      hint: 'e.g. "http://backend:8080"',
    });
  }
}

export abstract class ProxyModule implements Module, HttpHandler {
  abstract readonly type: string;
  routes: ProxyRoute[] = [];
  timeoutMs = 30_000;
  routerName?: string;

  constructor(readonly name: string) {}

  /** Prefixes to mount ("/" means catch-all). */
  prefixes(): string[] {
    return this.routes.map((r) => r.prefix);
  }

  protected sortRoutes(): void {
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.routes.find((r) => r.prefix === '/' || path === r.prefix || path.startsWith(r.prefix + '/'));
    if (!route) {
      writeError(res, 404, `no proxy route for ${path}`);
      return;
    }
    return forwardRequest(req, res, {
      targets: [route.target],
      stripPrefix: route.prefix,
      timeoutMs: this.timeoutMs,
      fail: failAsJson,
    }).then(() => undefined);
  }
}

export const simpleProxySchema: TypeSchema = {
  description: 'Forwards requests by path prefix to backend URLs',
  configFields: [
    { key: 'targets', type: 'map', required: true, description: 'path prefix -> backend URL' },
    { key: 'timeout', type: 'duration', default: '30s' },
    { key: 'router', type: 'string' },
  ],
  validate(config) {
    const t = config.targets;
    if (t === undefined) return [];
    if (!t || typeof t !== 'object' || Array.isArray(t))
      return [{ message: 'targets must be a map of path prefix to URL', path: ['targets'] }];
    return Object.entries(t as ConfigMap).flatMap(([k, v]) =>
      typeof v === 'string' ? [] : [{ message: 'proxy target must be a string URL', path: ['targets', k] }],
    );
  },
};

export class SimpleProxy extends ProxyModule {
  readonly type = 'http.simple_proxy';

  constructor(name: string, config: ConfigMap) {
    super(name);
    const targets = (config.targets ?? {}) as ConfigMap;
    this.routes = Object.entries(targets).map(([prefix, url]) => ({
      prefix: normalizeRoutePrefix(prefix),
      target: parseTarget(url, ['targets', prefix]),
    }));
    this.sortRoutes();
    if (config.timeout !== undefined) {
      try {
        this.timeoutMs = parseDuration(config.timeout);
      } catch (err) {
        throw new ConfigValueError((err as Error).message, { path: ['timeout'] });
      }
    }
    this.routerName = typeof config.router === 'string' ? config.router : undefined;
  }
}

export const reverseProxySchema: TypeSchema = {
  description: 'Reverse proxy to named backend services (config here or in the top-level reverseproxy section)',
  configFields: [
    { key: 'backend_services', type: 'map', description: 'backend name -> URL' },
    { key: 'routes', type: 'map', description: 'path prefix -> backend name' },
    { key: 'composite_routes', type: 'map', description: 'path -> {pattern, backends[]}; the first backend serves' },
    { key: 'default_backend', type: 'string' },
    { key: 'timeout', type: 'number', description: 'seconds' },
    { key: 'router', type: 'string' },
  ],
};

export class ReverseProxy extends ProxyModule {
  constructor(
    name: string,
    readonly type: string,
    private readonly config: ConfigMap,
  ) {
    super(name);
  }

  init(app: AppContext): void {
    const own = Object.keys(this.config).some((k) => !k.startsWith('_')) ? this.config : undefined;
    const section = (own ?? (app.config.reverseproxy as ConfigMap | undefined) ?? {}) as ConfigMap;
    const base = own ? [] : ['reverseproxy'];
    const backends = (section.backend_services ?? {}) as ConfigMap;
    const urls = new Map<string, URL>();
    for (const [n, u] of Object.entries(backends)) urls.set(n, parseTarget(u, [...base, 'backend_services', n]));
    const backend = (n: unknown, path: Array<string | number>): URL => {
      const u = urls.get(String(n));
      if (!u)
        throw new ConfigValueError(`unknown backend "${String(n)}"`, {
          path,
          hint: `backends: ${[...urls.keys()].join(', ') || '(none)'}`,
        });
      return u;
    };
    for (const [prefix, n] of Object.entries((section.routes ?? {}) as ConfigMap))
      this.routes.push({ prefix: normalizeRoutePrefix(prefix), target: backend(n, [...base, 'routes', prefix]) });
    for (const [key, r] of Object.entries((section.composite_routes ?? {}) as ConfigMap)) {
      const route = (r ?? {}) as ConfigMap;
      const first = Array.isArray(route.backends) ? route.backends[0] : undefined;
      this.routes.push({
        prefix: normalizeRoutePrefix(String(route.pattern ?? key)),
        target: backend(first, [...base, 'composite_routes', key, 'backends']),
      });
    }
    if (section.default_backend !== undefined)
      this.routes.push({ prefix: '/', target: backend(section.default_backend, [...base, 'default_backend']) });
    if (section.timeout !== undefined) this.timeoutMs = Number(section.timeout) * 1000;
    this.routerName = typeof section.router === 'string' ? section.router : undefined;
    this.sortRoutes();
  }
}

export const createSimpleProxy: ModuleFactory = (spec) => new SimpleProxy(spec.name, spec.config);
export const createReverseProxy: ModuleFactory = (spec) => new ReverseProxy(spec.name, spec.type, spec.config);
