// plugins/openapi: the `openapi` module (spec-driven routes) and the wiring hook that mounts them;
// `openapi.generator` (a document generated from the app's routes).
import { ConfigValueError, HttpRouterCap, type AppContext, type EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createOpenApiGenerator, mountOpenApiGenerators, openApiGeneratorSchema } from './openapi-generator.ts';
import { createOpenApiModule, OpenApiModule, openApiSchema } from './openapi-module.ts';

/** After every module and pipeline exists: mount each openapi module on its router. */
function mountOpenApiRoutes(app: AppContext): void {
  for (const name of app.services.names()) {
    const mod = app.services.get(name);
    if (!(mod instanceof OpenApiModule) || !mod.registerRoutes || mod.name !== name) continue;
    const router = mod.routerName ? app.services.get(mod.routerName) : app.services.find(HttpRouterCap);
    if (!HttpRouterCap.is(router)) {
      throw new ConfigValueError(
        mod.routerName
          ? `openapi module "${mod.name}": "${mod.routerName}" is not an http.router`
          : `openapi module "${mod.name}": no http.router to mount on`,
        { hint: 'add an http.router module, or set config.router' },
      );
    }
    mod.mount(router);
  }
}

export const openApiPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { openapi: createOpenApiModule, 'openapi.generator': createOpenApiGenerator },
  moduleSchemas: { openapi: openApiSchema, 'openapi.generator': openApiGeneratorSchema },
  wiringHooks: [
    { name: 'openapi-route-registration', priority: 50, run: mountOpenApiRoutes },
    // upstream's hook name (its observability plugin registers the type); after the other routes
    { name: 'observability.openapi-endpoints', priority: 40, run: mountOpenApiGenerators },
  ],
};

export { OpenApiModule } from './openapi-module.ts';
export { OpenApiGenerator } from './openapi-generator.ts';
export { parseOpenApi, loadOpenApiFile, type OpenApiDocument, type Operation } from './openapi-spec.ts';
export { OperationValidator, SchemaCompiler, toJsonSchema, type ValidationProblem } from './request-validator.ts';
