// api.command / api.query (upstream CommandHandler / QueryHandler): an endpoint that dispatches each
// request to a route pipeline ("METHOD /path" -> pipeline, from config `routes` or setRoutePipeline),
// else to a delegate handler, else 404. A query reads no body and adds `query` (the URL's parameters,
// each a list, as Go's url.Values) and `queryName`; a command parses a JSON body and adds `commandName`.
// (Routes with inline `pipeline.steps` in workflows.http are mounted straight on the router by the
// http workflow handler, so they never reach this module.)
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HttpHandlerCap,
  ValidationError,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Logger,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import {
  ConfigReader,
  isPlainObject,
  matchPath,
  parseRouteKey,
  readBody,
  requestPath,
  writeJson,
} from '../support/index.ts';

const cqrsFields: TypeSchema['configFields'] = [
  { key: 'delegate', type: 'string', description: 'HTTP handler module for requests without a route pipeline' },
  { key: 'routes', type: 'map', description: '"METHOD /path" (or a last path segment) -> pipeline name' },
];

export const apiCommandSchema: TypeSchema = {
  description: 'Command endpoint: route pipelines, else a delegate handler',
  configFields: cqrsFields,
};

export const apiQuerySchema: TypeSchema = {
  description: 'Query endpoint (read-only): route pipelines, else a delegate handler',
  configFields: cqrsFields,
};

export type CqrsKind = 'command' | 'query';

export class ApiCommandHandler implements Module, HttpHandler {
  readonly type: string;
  private readonly routes = new Map<string, string>();
  private readonly delegate?: string;
  private app?: AppContext;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    readonly kind: CqrsKind = 'command',
  ) {
    this.type = `api.${kind}`;
    const c = new ConfigReader(config);
    this.delegate = c.string('delegate') || undefined;
    for (const [key, pipeline] of Object.entries(c.map('routes') ?? {})) this.setRoutePipeline(key, String(pipeline));
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: this.type, module: this.name });
  }

  /** Run `pipelineName` for requests matching `routeKey` ("METHOD /path/{id}" or a last path segment). */
  setRoutePipeline(routeKey: string, pipelineName: string): void {
    this.routes.set(routeKey, pipelineName);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    const path = requestPath(req);
    const method = req.method ?? 'GET';
    const commandName = path.split('/').filter(Boolean).at(-1) ?? '';
    const route = this.findRoute(method, path, commandName);
    if (route && this.app) {
      const rawBody = this.kind === 'command' ? await readBody(req) : undefined;
      let body: unknown;
      try {
        body = rawBody && rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const search = new URL(req.url ?? '/', 'http://x').searchParams;
      const data: ConfigMap = {
        ...Object.fromEntries(search),
        ...params,
        ...route.params,
        method,
        path,
        ...(this.kind === 'query'
          ? { queryName: commandName, query: Object.fromEntries([...search.keys()].map((k) => [k, search.getAll(k)])) }
          : { commandName }),
        ...(isPlainObject(body) ? { body } : {}),
      };
      let result: ConfigMap;
      try {
        result = await this.app.workflows.executePipeline(route.pipeline, data, {
          http: { req, res, rawBody, params: { ...params, ...route.params }, routePattern: route.key },
        });
      } catch (err) {
        if (res.headersSent) return;
        if (err instanceof ValidationError) return writeJson(res, err.status, { error: err.message });
        this.logger?.error({ pipeline: route.pipeline, err: (err as Error).message }, `${this.kind} pipeline failed`);
        return writeJson(res, 500, { error: `${this.kind} ${commandName} failed: ${(err as Error).message}` });
      }
      if (res.headersSent || res.writableEnded) return;
      return writeJson(res, 200, result);
    }
    const delegate = this.delegate ? this.app?.services.get(this.delegate) : undefined;
    if (HttpHandlerCap.is(delegate)) return delegate.handleHttp(req, res, params);
    if (this.delegate) this.logger?.warn({ delegate: this.delegate }, 'delegate is not an HTTP handler');
    writeJson(res, 404, { error: `unknown ${this.kind}: ${commandName}` });
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

export function createApiCommand(spec: ModuleSpec): ApiCommandHandler {
  return new ApiCommandHandler(spec.name, spec.config, 'command');
}

export function createApiQuery(spec: ModuleSpec): ApiCommandHandler {
  return new ApiCommandHandler(spec.name, spec.config, 'query');
}
