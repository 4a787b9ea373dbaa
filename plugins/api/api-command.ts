// api.command: a command endpoint that dispatches each request to a route pipeline, else to a
// delegate handler, else answers 404. Route pipelines come from workflows.http routes with inline
// `pipeline.steps` (attached through setRoutePipeline by the http workflow handler, or picked up at
// start by their conventional name "<handler>:<last path segment>") or from config `routes`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HttpHandlerCap, defineCapability, type AppContext, type ConfigMap, type HttpHandler, type Logger, type Module,
  type ModuleSpec, type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject, matchPath, parseRouteKey, readBody, requestPath, writeJson } from '../support/index.ts';

/** Handlers that run a pipeline per route. `routeKey` is "METHOD /path" (Go ServeMux pattern). */
export interface RoutePipelineTarget {
  setRoutePipeline(routeKey: string, pipelineName: string): void;
}
export const RoutePipelineTargetCap = defineCapability<RoutePipelineTarget>('RoutePipelineTarget', 'setRoutePipeline');

export const apiCommandSchema: TypeSchema = {
  description: 'Command endpoint: route pipelines, else a delegate handler',
  configFields: [
    { key: 'delegate', type: 'string', description: 'HTTP handler module for requests without a route pipeline' },
    { key: 'routes', type: 'map', description: '"METHOD /path" -> pipeline name' },
  ],
};

export class ApiCommandHandler implements Module, HttpHandler, RoutePipelineTarget {
  readonly type: string;
  private readonly routes = new Map<string, string>();
  private readonly delegate?: string;
  private app?: AppContext;
  private logger?: Logger;

  constructor(readonly name: string, config: ConfigMap, type = 'api.command') {
    this.type = type;
    const c = new ConfigReader(config);
    this.delegate = c.string('delegate') || undefined;
    for (const [key, pipeline] of Object.entries(c.map('routes') ?? {})) this.setRoutePipeline(key, String(pipeline));
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: this.type, module: this.name });
  }

  start(app: AppContext): void {
    for (const route of inlineRoutePipelines(app.config, this.name)) {
      if (this.routes.has(route.key)) continue;
      if (app.workflows.hasPipeline(route.pipeline)) this.setRoutePipeline(route.key, route.pipeline);
      else this.logger?.warn({ route: route.key, pipeline: route.pipeline }, 'route pipeline was not built by the engine; the route answers 404');
    }
  }

  setRoutePipeline(routeKey: string, pipelineName: string): void {
    this.routes.set(routeKey, pipelineName);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    const path = requestPath(req);
    const method = req.method ?? 'GET';
    const commandName = path.split('/').filter(Boolean).at(-1) ?? '';
    const route = this.findRoute(method, path, commandName);
    if (route && this.app) {
      const rawBody = await readBody(req);
      let body: unknown;
      try {
        body = rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
      const data: ConfigMap = { ...query, ...params, ...route.params, method, path, commandName, ...(isPlainObject(body) ? { body } : {}) };
      const result = await this.app.workflows.executePipeline(route.pipeline, data, {
        http: { req, res, rawBody, params: { ...params, ...route.params }, routePattern: route.key },
      });
      if (res.headersSent || res.writableEnded) return;
      return writeJson(res, 200, result);
    }
    const delegate = this.delegate ? this.app?.services.get(this.delegate) : undefined;
    if (HttpHandlerCap.is(delegate)) return delegate.handleHttp(req, res, params);
    if (this.delegate) this.logger?.warn({ delegate: this.delegate }, 'delegate is not an HTTP handler');
    writeJson(res, 404, { error: `unknown command: ${commandName}` });
  }

  private findRoute(method: string, path: string, commandName: string) {
    for (const [key, pipeline] of this.routes) {
      const { method: want, path: pattern } = parseRouteKey(key);
      if (want && want !== method) continue;
      const params = pattern.startsWith('/') ? matchPath(pattern, path) : pattern === commandName ? {} : undefined;
      if (params) return { key, pipeline, params };
    }
    return undefined;
  }
}

/** Routes of workflows.http handled by `handler` that carry inline steps, with the engine's pipeline name for them. */
function inlineRoutePipelines(config: AppContext['config'], handler: string): Array<{ key: string; pipeline: string }> {
  const http = config.workflows?.http;
  if (!isPlainObject(http) || !Array.isArray(http.routes)) return [];
  return http.routes
    .filter((r): r is ConfigMap => isPlainObject(r) && r.handler === handler && (isPlainObject(r.pipeline) || Array.isArray(r.steps)))
    .map((r) => {
      const path = String(r.path ?? '');
      const last = path.split('/').filter(Boolean).at(-1) ?? '';
      return { key: `${String(r.method ?? 'GET').toUpperCase()} ${path}`, pipeline: `${handler}:${last}` };
    });
}

export function createApiCommand(spec: ModuleSpec): ApiCommandHandler {
  return new ApiCommandHandler(spec.name, spec.config);
}
