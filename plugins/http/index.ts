// plugins/http: HTTP server, router (Go 1.22 patterns), handlers, middleware, static files, reverse
// proxies, the `http` trigger and the `http` workflow handler.
import {
  HttpRouterCap,
  pluginManifestInfo,
  type AppContext,
  type EnginePlugin,
  type HttpRouter,
} from '../../engine/index.ts';
import manifestJson from './manifest.json' with { type: 'json' };
import { createHttpHandler, httpHandlerSchema } from './http-handler.ts';
import { createHttpRouter } from './http-router.ts';
import { createHttpServer, httpServerSchema } from './http-server.ts';
import { HttpTrigger, wrapHttpPipelineTrigger } from './http-trigger.ts';
import { HttpWorkflowHandler } from './http-workflow-handler.ts';
import { authMiddlewareSchema, createAuthMiddleware } from './middleware/auth.ts';
import { CorsMiddleware, corsSchema, createCorsMiddleware } from './middleware/cors.ts';
import { createLoggingMiddleware, loggingSchema } from './middleware/logging.ts';
import { createRateLimitMiddleware, rateLimitSchema } from './middleware/rate-limit.ts';
import { createRequestIdMiddleware, requestIdSchema } from './middleware/request-id.ts';
import { createSecurityHeadersMiddleware, securityHeadersSchema } from './middleware/security-headers.ts';
import { createReverseProxy, createSimpleProxy, ProxyModule, reverseProxySchema, simpleProxySchema } from './proxy.ts';
import { createStaticFileServer, StaticFileServer, staticFileServerSchema } from './static-fileserver.ts';
import { writeJson } from './http-io.ts';
import { createHttpClient, httpClientSchema } from './http-client.ts';
import { createRateLimitStep, rateLimitStepSchema } from './rate-limit-step.ts';
import { circuitBreakerStepSchema, createCircuitBreakerGateStep } from './circuit-breaker-step.ts';

export { HttpRouterModule } from './http-router.ts';
export { HttpServerModule, parseListenAddress } from './http-server.ts';
export { parsePattern, RouteTable } from './route-table.ts';
export { writeJson, writeError, readBody, parseJsonObject, clientAddress } from './http-io.ts';
export { proxyTo, type ProxyTarget } from './proxy.ts';
export { HttpClientCap, HttpClientModule, parseClientCredentials, type HttpClient } from './http-client.ts';

/**
 * The standard probe paths for apps without a health.checker: a serving app is alive and ready,
 * so platform probes (Kubernetes, the dev cluster's node agent) work for any config.
 */
const PROBE_ANSWERS: Array<[string, object]> = [
  ['/healthz', { status: 'healthy', checks: {} }],
  ['/readyz', { status: 'ready' }],
  ['/livez', { status: 'alive' }],
];

function routerFor(app: AppContext, name: string | undefined, owner: string): HttpRouter {
  if (name) return app.services.require<HttpRouter>(name, owner);
  const r = app.services.find(HttpRouterCap);
  if (!r) throw new Error(`${owner} needs an http.router module to mount on`);
  return r;
}

export const httpPlugin: EnginePlugin = {
  manifest: pluginManifestInfo(manifestJson),
  modules: {
    'http.server': createHttpServer,
    'http.router': createHttpRouter,
    'http.handler': createHttpHandler,
    'http.middleware.auth': createAuthMiddleware,
    'http.middleware.cors': createCorsMiddleware,
    'http.middleware.requestid': createRequestIdMiddleware,
    'http.middleware.ratelimit': createRateLimitMiddleware,
    'http.middleware.logging': createLoggingMiddleware,
    'http.middleware.securityheaders': createSecurityHeadersMiddleware,
    'static.fileserver': createStaticFileServer,
    'http.simple_proxy': createSimpleProxy,
    'http.proxy': createReverseProxy,
    reverseproxy: createReverseProxy,
    'http.client': createHttpClient,
  },
  moduleSchemas: {
    'http.server': httpServerSchema,
    'http.router': { description: 'Method + path router (Go 1.22 ServeMux patterns)', configFields: [] },
    'http.handler': httpHandlerSchema,
    'http.middleware.auth': authMiddlewareSchema,
    'http.middleware.cors': corsSchema,
    'http.middleware.requestid': requestIdSchema,
    'http.middleware.ratelimit': rateLimitSchema,
    'http.middleware.logging': loggingSchema,
    'http.middleware.securityheaders': securityHeadersSchema,
    'static.fileserver': staticFileServerSchema,
    'http.simple_proxy': simpleProxySchema,
    'http.proxy': reverseProxySchema,
    reverseproxy: reverseProxySchema,
    'http.client': httpClientSchema,
  },
  steps: { 'step.rate_limit': createRateLimitStep, 'step.circuit_breaker': createCircuitBreakerGateStep },
  stepSchemas: { 'step.rate_limit': rateLimitStepSchema, 'step.circuit_breaker': circuitBreakerStepSchema },
  triggers: { http: () => new HttpTrigger() },
  workflowHandlers: { http: () => new HttpWorkflowHandler() },
  pipelineTriggerWrappers: { http: wrapHttpPipelineTrigger },
  entryPointModuleTypes: ['http.server'],
  wiringHooks: [
    {
      name: 'http-cors-global-wiring',
      priority: 100,
      run(app) {
        const cors = app.services
          .names()
          .map((n) => app.services.get(n))
          .filter((s): s is CorsMiddleware => s instanceof CorsMiddleware);
        if (cors.length === 0) return;
        for (const { service: router } of app.services.findAll(HttpRouterCap))
          for (const c of cors) router.useGlobal(c);
      },
    },
    {
      name: 'http-static-fileserver-registration',
      priority: 50,
      run(app) {
        for (const name of app.services.names()) {
          const fs = app.services.get(name);
          if (!(fs instanceof StaticFileServer)) continue;
          const router = routerFor(app, fs.routerName, `static.fileserver "${fs.name}"`);
          const pattern = `${fs.prefix}{path...}`;
          if (!router.hasRoute('GET', pattern))
            router.addRoute('GET', pattern, (req, res, params) => fs.handleHttp(req, res, params), {
              owner: `static.fileserver ${fs.name}`,
            });
        }
      },
    },
    {
      name: 'http-proxy-registration',
      priority: 50,
      run(app) {
        for (const name of app.services.names()) {
          const proxy = app.services.get(name);
          if (!(proxy instanceof ProxyModule)) continue;
          const router = routerFor(app, proxy.routerName, `${proxy.type} "${proxy.name}"`);
          const handler = (
            req: Parameters<ProxyModule['handleHttp']>[0],
            res: Parameters<ProxyModule['handleHttp']>[1],
          ) => proxy.handleHttp(req, res);
          for (const prefix of proxy.prefixes()) {
            const patterns = prefix === '/' ? ['/{rest...}'] : [prefix, `${prefix}/{rest...}`];
            for (const p of patterns)
              if (!router.hasRoute('', p)) router.addRoute('', p, handler, { owner: `${proxy.type} ${proxy.name}` });
          }
        }
      },
    },
    {
      // last: only paths nothing else routes (health.checker mounts richer answers first)
      name: 'http-probe-endpoints',
      priority: -100,
      run(app) {
        for (const { service: router } of app.services.findAll(HttpRouterCap)) {
          for (const [path, body] of PROBE_ANSWERS) {
            if (!router.hasRoute('GET', path) && !router.hasRoute('', path))
              router.addRoute('GET', path, (_req, res) => writeJson(res, 200, body), { owner: 'http-probe-endpoints' });
          }
        }
      },
    },
  ],
};
