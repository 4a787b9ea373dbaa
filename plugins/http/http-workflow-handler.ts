// The `http` workflow handler (`workflows.http`, also `http-*`): attaches the router to the server
// and mounts `routes[]` — each to a handler module (anything with handleHttp) behind its listed
// middlewares, or, when the route carries inline `pipeline.steps`/`steps`, to that pipeline (named
// `<handler>:<last path segment>`) with the HTTP trigger's request/response contract.
import {
  ConfigValueError,
  HttpHandlerCap,
  type AppContext,
  type ConfigMap,
  type HttpHandlerFn,
  type HttpServer,
  type WorkflowHandler,
} from '../../engine/index.ts';
import { findMiddlewares, findRouter, findServer } from './find-services.ts';
import { workflowRouteHandler } from './workflow-request.ts';

type AttachableServer = HttpServer & { hasRouter?: () => boolean };

function lastSegment(path: string): string {
  const segs = path.split('/').filter(Boolean);
  return segs[segs.length - 1] ?? 'root';
}

export class HttpWorkflowHandler implements WorkflowHandler {
  canHandle(workflowType: string): boolean {
    return workflowType === 'http' || workflowType.startsWith('http-');
  }

  configure(app: AppContext, workflowType: string, raw: unknown): void {
    const section = (raw ?? {}) as ConfigMap;
    if (typeof section !== 'object' || Array.isArray(section))
      throw new ConfigValueError(`workflows.${workflowType} must be a map`);
    const router = findRouter(app, section.router, ['router'], ['httpRouter', 'router', 'api-router']);
    const server = findServer(app, section.server, ['server']) as AttachableServer | undefined;
    if (server && (server.hasRouter === undefined || !server.hasRouter())) server.attachRouter(router as never);
    const routes = section.routes ?? [];
    if (!Array.isArray(routes)) throw new ConfigValueError('routes must be a list', { path: ['routes'] });
    const usedNames = new Set<string>();
    routes.forEach((r, i) => {
      const route = (r ?? {}) as ConfigMap;
      const method = typeof route.method === 'string' ? route.method.toUpperCase() : undefined;
      const path = typeof route.path === 'string' ? route.path : undefined;
      if (!method || !path)
        throw new ConfigValueError('route needs method and path', {
          path: ['routes', i],
          hint: 'e.g. { method: GET, path: /api/items/{id}, handler: items-handler }',
        });
      const middlewares = findMiddlewares(app, route.middlewares ?? route.middleware, ['routes', i, 'middlewares']);
      const inlinePipeline =
        route.pipeline && typeof route.pipeline === 'object' ? (route.pipeline as ConfigMap) : undefined;
      const inlineSteps = inlinePipeline?.steps ?? route.steps;
      let handler: HttpHandlerFn;
      let owner: string;
      if (Array.isArray(inlineSteps)) {
        const base = `${typeof route.handler === 'string' ? route.handler : 'route'}:${lastSegment(path)}`;
        let name = base;
        for (let n = 2; usedNames.has(name) || app.workflows.hasPipeline(name); n++) name = `${base}-${n}`;
        usedNames.add(name);
        const stepsPath = inlinePipeline
          ? ['workflows', workflowType, 'routes', i, 'pipeline']
          : ['workflows', workflowType, 'routes', i];
        const pipelineConfig = { ...(inlinePipeline ?? {}), steps: inlineSteps } as ConfigMap;
        if (!app.workflows.definePipeline) throw new Error('this engine cannot define route pipelines');
        app.workflows.definePipeline(name, pipelineConfig, { routePattern: path, configPath: stepsPath });
        handler = workflowRouteHandler(
          app,
          { method, path, workflow: `pipeline:${name}`, action: 'execute' },
          app.logger.child({ component: 'workflow.http' }),
        );
        owner = `workflows.${workflowType} pipeline ${name}`;
      } else {
        const target = typeof route.handler === 'string' ? app.services.get(route.handler) : undefined;
        if (typeof route.handler !== 'string')
          throw new ConfigValueError('route needs a handler (a module name) or inline pipeline steps', {
            path: ['routes', i],
          });
        if (!HttpHandlerCap.is(target)) {
          throw new ConfigValueError(
            target === undefined
              ? `handler "${route.handler}" is not defined`
              : `module "${route.handler}" cannot handle HTTP requests`,
            {
              path: ['routes', i, 'handler'],
              hint: 'name a module that serves HTTP (http.handler, api.handler, auth.jwt, static.fileserver, ...)',
            },
          );
        }
        handler = (req, res, params) => target.handleHttp(req, res, params);
        owner = `workflows.${workflowType} handler ${route.handler}`;
      }
      try {
        router.addRoute(method, path, handler, { middlewares, owner });
      } catch (err) {
        if (err instanceof ConfigValueError)
          throw new ConfigValueError(err.message, { path: ['routes', i, 'path'], hint: err.hint });
        throw err;
      }
    });
  }

  async execute(_app: AppContext, workflowType: string): Promise<ConfigMap> {
    throw new Error(`workflow type "${workflowType}" is served by HTTP requests; it cannot be triggered directly`);
  }
}
