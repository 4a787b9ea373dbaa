// Looking up the http services a section names (or the first one there is), with clear errors.
import {
  ConfigValueError,
  HttpMiddlewareCap,
  HttpRouterCap,
  HttpServerCap,
  type AppContext,
  type ConfigPath,
  type HttpMiddleware,
  type HttpRouter,
  type HttpServer,
} from '../../engine/index.ts';

/** A router by name, else the well-known names upstream tries, else the first router. */
export function findRouter(
  app: AppContext,
  name: unknown,
  path: ConfigPath,
  wellKnown: string[] = ['httpRouter', 'api-router', 'router'],
): HttpRouter {
  if (typeof name === 'string' && name !== '') {
    const svc = app.services.get(name);
    if (!HttpRouterCap.is(svc)) {
      throw new ConfigValueError(
        svc === undefined ? `router "${name}" is not defined` : `"${name}" is not an http.router`,
        { path, hint: 'name an http.router module declared under modules' },
      );
    }
    return svc;
  }
  for (const n of wellKnown) {
    const svc = app.services.get(n);
    if (HttpRouterCap.is(svc)) return svc;
  }
  const first = app.services.find(HttpRouterCap);
  if (!first)
    throw new ConfigValueError('no http.router module is defined', {
      path,
      hint: 'add modules: [{ name: router, type: http.router, dependsOn: [server] }]',
    });
  return first;
}

export function findServer(app: AppContext, name: unknown, path: ConfigPath): HttpServer | undefined {
  if (typeof name === 'string' && name !== '') {
    const svc = app.services.get(name);
    if (!HttpServerCap.is(svc)) {
      throw new ConfigValueError(
        svc === undefined ? `server "${name}" is not defined` : `"${name}" is not an http.server`,
        { path, hint: 'name an http.server module declared under modules' },
      );
    }
    return svc;
  }
  return app.services.get<HttpServer>('httpServer') ?? app.services.find(HttpServerCap);
}

export function findMiddlewares(app: AppContext, names: unknown, path: ConfigPath): HttpMiddleware[] {
  if (names === undefined || names === null) return [];
  if (!Array.isArray(names)) throw new ConfigValueError('middlewares must be a list of module names', { path });
  return names.map((n, i) => {
    const svc = app.services.get(String(n));
    if (!HttpMiddlewareCap.is(svc)) {
      throw new ConfigValueError(
        svc === undefined
          ? `middleware "${String(n)}" is not defined`
          : `"${String(n)}" is not an http.middleware.* module`,
        { path: [...path, i], hint: 'list names of http.middleware.* modules' },
      );
    }
    return svc;
  });
}
