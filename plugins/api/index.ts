// plugins/api: api.handler (REST resources), api.command and api.query (route pipelines / delegate),
// api.gateway (prefix routing to backends) and data.transformer (UPSTREAM.md 2.2 "API").
import { HttpRouterCap, type EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { apiHandlerSchema, createApiHandler } from './api-handler.ts';
import { apiCommandSchema, apiQuerySchema, createApiCommand, createApiQuery } from './api-command.ts';
import { createDataTransformer, dataTransformerSchema } from './data-transformer.ts';
import { ApiGateway, apiGatewaySchema, createApiGateway } from './api-gateway.ts';

export const apiPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'api.handler': createApiHandler,
    'api.command': createApiCommand,
    'api.query': createApiQuery,
    'data.transformer': createDataTransformer,
    'api.gateway': createApiGateway,
  },
  moduleSchemas: {
    'api.handler': apiHandlerSchema,
    'api.command': apiCommandSchema,
    'api.query': apiQuerySchema,
    'data.transformer': dataTransformerSchema,
    'api.gateway': apiGatewaySchema,
  },
  wiringHooks: [
    {
      // each gateway serves its prefixes on the app's router (any method), unless a route already does
      name: 'api-gateway-routes',
      priority: 50,
      run(app) {
        const router = app.services.find(HttpRouterCap);
        if (!router) return;
        for (const name of app.services.names()) {
          const gateway = app.services.get(name);
          if (!(gateway instanceof ApiGateway)) continue;
          const handler: Parameters<typeof router.addRoute>[2] = (req, res) => gateway.handleHttp(req, res);
          for (const prefix of gateway.prefixes()) {
            const base = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
            const patterns = base === '/' ? ['/{rest...}'] : [base, `${base}/{rest...}`];
            for (const p of patterns)
              if (!router.hasRoute('', p)) router.addRoute('', p, handler, { owner: `api.gateway ${gateway.name}` });
          }
        }
      },
    },
  ],
};

export { ApiHandler } from './api-handler.ts';
export { ApiCommandHandler } from './api-command.ts';
export { DataTransformer } from './data-transformer.ts';
export { ApiGateway } from './api-gateway.ts';
export { applyOperations, type TransformOperation } from './transform-ops.ts';
export type { RestResource } from './resource-store.ts';
