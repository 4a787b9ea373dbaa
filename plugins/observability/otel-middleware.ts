// http.middleware.otel: one SERVER span per HTTP request, named `serverName` (default
// "workflow-http", as upstream's otelhttp.NewHandler(next, serverName) names it), continuing the
// trace of an incoming traceparent (or b3, per tracing.propagation), with the stable HTTP semantic
// convention attributes; status ERROR on 5xx. The span is the active context while the request's
// pipeline runs, so step.trace_* annotate it, start children under it and inject it. The wiring hook
// (priority 110: before every other global middleware, CORS at 100 included) makes it the outermost middleware of every
// router; apps without this module get no wrapper at all.
import type { IncomingMessage } from 'node:http';
import {
  getRequestRoute,
  HttpRouterCap,
  type AppContext,
  type ConfigMap,
  type HttpHandlerFn,
  type HttpMiddleware,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import type { Attributes } from '@opentelemetry/api';
import { appTracing, type AppTracing } from './trace-propagation.ts';

export const otelMiddlewareSchema: TypeSchema = {
  description: 'Traces every HTTP request with an OpenTelemetry server span (continues incoming trace context)',
  configFields: [
    {
      key: 'serverName',
      type: 'string',
      default: 'workflow-http',
      description: 'the span name of every request span',
    },
  ],
};

function requestAttributes(req: IncomingMessage): Attributes {
  const socket = req.socket;
  const secure = (socket as { encrypted?: boolean }).encrypted === true;
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const attributes: Attributes = {
    'http.request.method': req.method ?? 'GET',
    'url.scheme': secure ? 'https' : 'http',
    'url.path': q === -1 ? target : target.slice(0, q),
    'network.protocol.version': req.httpVersion,
  };
  if (q !== -1) attributes['url.query'] = target.slice(q + 1);
  const host = req.headers.host;
  if (host) {
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
    if (m) {
      attributes['server.address'] = m[1]!;
      attributes['server.port'] = m[2] ? Number(m[2]) : secure ? 443 : 80;
    }
  }
  if (socket.remoteAddress) {
    attributes['client.address'] = socket.remoteAddress;
    attributes['network.peer.address'] = socket.remoteAddress;
  }
  if (socket.remotePort) attributes['network.peer.port'] = socket.remotePort;
  const ua = req.headers['user-agent'];
  if (ua) attributes['user_agent.original'] = ua;
  return attributes;
}

export class OTelMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.otel';
  readonly serverName: string;
  private tracing?: AppTracing;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.serverName =
      typeof config.serverName === 'string' && config.serverName !== '' ? config.serverName : 'workflow-http';
  }

  private app?: AppContext;
  private resolving?: Promise<AppTracing>;

  init(app: AppContext): void {
    this.app = app;
  }

  /** After every module's init (wiring): the app's tracer and propagator. */
  async resolve(app: AppContext): Promise<void> {
    this.tracing ??= await appTracing(app, 'workflow.http');
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    const name = this.serverName;
    const traced =
      ({ api, tracer, propagator }: AppTracing): HttpHandlerFn =>
      (req, res, params) => {
        const parent = propagator.extract(api.ROOT_CONTEXT, req.headers, api.defaultTextMapGetter);
        const span = tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes: requestAttributes(req) }, parent);
        res.once('close', () => {
          const status = res.statusCode;
          span.setAttribute('http.response.status_code', status);
          const route = getRequestRoute(req);
          if (route) span.setAttribute('http.route', route.replace(/^\S+ /, ''));
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
          else if (!res.writableFinished) span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'client aborted' });
          span.end();
        });
        return api.context.with(api.trace.setSpan(parent, span), next, undefined, req, res, params);
      };
    if (this.tracing) return traced(this.tracing);
    // named in a route's middlewares, wrapped before the wiring hook: resolve at the first request
    let handler: HttpHandlerFn | undefined;
    return async (req, res, params) => {
      if (!handler) {
        this.resolving ??= appTracing(this.app!, 'workflow.http');
        handler = traced(await this.resolving);
      }
      return handler(req, res, params);
    };
  }
}

export const createOTelMiddleware: ModuleFactory = (spec) => new OTelMiddleware(spec.name, spec.config);

/** observability.otel-middleware: every http.middleware.otel wraps every router, outermost. */
export async function wireOTelMiddleware(app: AppContext): Promise<void> {
  for (const name of app.services.names()) {
    const mw = app.services.get(name);
    if (!(mw instanceof OTelMiddleware) || mw.name !== name) continue;
    await mw.resolve(app);
    for (const { service: router } of app.services.findAll(HttpRouterCap)) router.useGlobal(mw);
  }
}
