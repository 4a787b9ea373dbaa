// The `http` trigger: `triggers.http.routes[]` ({path, method, workflow, action, params?,
// include_raw_body|raw_body?, middlewares?}) become router routes; each request triggers its
// workflow. Inline `pipelines.<name>.trigger: {type: http, config: {path, method}}` is wrapped
// into one such route targeting `pipeline:<name>`.
import {
  ConfigValueError,
  type AppContext,
  type ConfigMap,
  type HttpRouter,
  type PipelineTriggerWrapper,
  type Trigger,
} from '../../engine/index.ts';
import { findMiddlewares, findRouter } from './find-services.ts';
import { workflowRouteHandler, type WorkflowRoute } from './workflow-request.ts';

// Routes are added at configure time (upstream: at start), before wiring hooks run, so hooks that
// mount defaults (probe endpoints) see them and never shadow an app's own route.
export class HttpTrigger implements Trigger {
  readonly type = 'http';

  configure(app: AppContext, config: ConfigMap): void {
    const routes = config.routes;
    if (!Array.isArray(routes))
      throw new ConfigValueError('http trigger needs a routes list', {
        path: ['routes'],
        hint: 'routes: [{ path: /x, method: POST, workflow: pipeline:my-pipeline, action: execute }]',
      });
    const router = findRouter(app, config.router, ['router']);
    const logger = app.logger.child({ component: 'trigger.http' });
    routes.forEach((r, i) => {
      const route = (r ?? {}) as ConfigMap;
      const missing = ['path', 'method', 'workflow', 'action'].filter(
        (k) => typeof route[k] !== 'string' || route[k] === '',
      );
      if (missing.length > 0) {
        throw new ConfigValueError(`route is missing ${missing.join(', ')}`, {
          path: ['routes', i],
          hint: 'path, method, workflow and action are required',
        });
      }
      const target: WorkflowRoute = {
        path: route.path as string,
        method: (route.method as string).toUpperCase(),
        workflow: route.workflow as string,
        action: route.action as string,
        params: route.params && typeof route.params === 'object' ? (route.params as ConfigMap) : undefined,
        includeRawBody: route.include_raw_body === true || route.raw_body === true,
      };
      const routerForRoute: HttpRouter =
        route.router !== undefined ? findRouter(app, route.router, ['routes', i, 'router']) : router;
      const middlewares = findMiddlewares(app, route.middlewares, ['routes', i, 'middlewares']);
      try {
        routerForRoute.addRoute(target.method, target.path, workflowRouteHandler(app, target, logger), {
          middlewares,
          owner: `trigger http -> ${target.workflow}`,
        });
      } catch (err) {
        if (err instanceof ConfigValueError)
          throw new ConfigValueError(err.message, { path: ['routes', i, 'path'], hint: err.hint });
        throw err;
      }
    });
  }
}

export const wrapHttpPipelineTrigger: PipelineTriggerWrapper = (pipelineName, config) => {
  const route: ConfigMap = {
    path: config.path,
    method: config.method ?? 'GET',
    workflow: `pipeline:${pipelineName}`,
    action: 'execute',
  };
  for (const k of ['middlewares', 'include_raw_body', 'raw_body', 'router', 'params'])
    if (config[k] !== undefined) route[k] = config[k];
  return { triggerType: 'http', config: { routes: [route] } };
};
