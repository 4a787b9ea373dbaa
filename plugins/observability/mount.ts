// Mounting a module's GET endpoints on every router of the app (skipping routes already taken).
import { HttpRouterCap, type AppContext, type HttpHandlerFn } from '../../engine/index.ts';

export function mountOnRouters(
  app: AppContext,
  routes: Array<[path: string, handler: HttpHandlerFn]>,
  owner: string,
): void {
  for (const { service: router } of app.services.findAll(HttpRouterCap)) {
    for (const [path, handler] of routes) {
      if (router.hasRoute('GET', path) || router.hasRoute('', path)) continue;
      router.addRoute('GET', path, handler, { owner });
    }
  }
}
