// http.router: a method+path mux with Go 1.22 ServeMux patterns, per-route and global middleware,
// and a recovery boundary (a throwing handler becomes a JSON 500, the server keeps serving).
// It attaches itself to the http.server modules it lists in dependsOn.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  HttpServerCap,
  setRequestRoute,
  type AppContext,
  type HttpHandlerFn,
  type HttpMiddleware,
  type HttpRouter,
  type Logger,
  type Module,
  type ModuleFactory,
  type RouteOptions,
} from '../../engine/index.ts';
import { writeError } from './http-io.ts';
import { parsePattern, PatternError, RouteTable } from './route-table.ts';

interface RouteEntry {
  handler: HttpHandlerFn;
  owner: string;
  pattern: string;
}

const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class HttpRouterModule implements Module, HttpRouter {
  readonly type = 'http.router';
  private readonly table = new RouteTable<RouteEntry>();
  private readonly globals: HttpMiddleware[] = [];
  private entry: HttpHandlerFn;
  private logger?: Logger;

  constructor(
    readonly name: string,
    private readonly dependsOn: string[],
  ) {
    this.entry = this.route;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'http.router', module: this.name });
    for (const dep of this.dependsOn) {
      const server = app.services.get(dep);
      if (HttpServerCap.is(server)) server.attachRouter(this);
    }
  }

  addRoute(method: string, path: string, handler: HttpHandlerFn, opts: RouteOptions = {}): void {
    let parsed;
    try {
      parsed = parsePattern(path, method);
    } catch (err) {
      if (err instanceof PatternError)
        throw new ConfigValueError(err.message, {
          hint: 'route paths use Go 1.22 ServeMux syntax: /items/{id}, /files/{path...}, /static/',
        });
      throw err;
    }
    let wrapped = handler;
    const mws = opts.middlewares ?? [];
    for (let i = mws.length - 1; i >= 0; i--) wrapped = mws[i]!.wrap(wrapped);
    const owner = opts.owner ?? 'unknown';
    const label = `${parsed.method ?? '*'} ${parsed.path}`;
    const existing = this.table.add(parsed, { handler: wrapped, owner, pattern: label });
    if (existing) {
      // upstream's mux panics on duplicates; keeping the first lets configs that declare a route
      // twice (handler + trigger) still start, with a clear note
      this.logger?.warn(
        { route: label, kept: existing.owner, ignored: owner },
        'duplicate route ignored; the first registration serves it',
      );
    }
  }

  hasRoute(method: string, path: string): boolean {
    try {
      return this.table.has(parsePattern(path, method));
    } catch {
      return false;
    }
  }

  useGlobal(mw: HttpMiddleware): void {
    if (this.globals.includes(mw)) return;
    this.globals.push(mw);
    let h: HttpHandlerFn = this.route;
    for (let i = this.globals.length - 1; i >= 0; i--) h = this.globals[i]!.wrap(h);
    this.entry = h;
  }

  routeCount(): number {
    return this.table.size();
  }

  /** Entry point used by http.server for every request. */
  dispatch: HttpHandlerFn = (req, res, params) => {
    let result: void | Promise<void>;
    try {
      result = this.entry(req, res, params);
    } catch (err) {
      this.fail(req, res, err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).catch((err: unknown) => this.fail(req, res, err));
    }
  };

  private route: HttpHandlerFn = (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const m = this.table.match(req.method ?? 'GET', path);
    switch (m.kind) {
      case 'found':
        setRequestRoute(req, m.value.pattern);
        return m.value.handler(req, res, m.params ?? EMPTY_PARAMS);
      case 'method-not-allowed':
        writeError(res, 405, `method ${req.method} not allowed for ${path}`, { Allow: m.allowed.join(', ') });
        return;
      case 'redirect':
        res.statusCode = 301;
        res.setHeader('Location', m.location + (q === -1 ? '' : url.slice(q)));
        res.end();
        return;
      default:
        writeError(res, 404, `no route for ${req.method} ${path}`);
    }
  };

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    this.logger?.error(
      { method: req.method, url: req.url, err: (err as Error)?.message, stack: (err as Error)?.stack },
      'request handler failed',
    );
    writeError(res, 500, 'internal server error');
  }
}

export const createHttpRouter: ModuleFactory = (spec) => new HttpRouterModule(spec.name, spec.dependsOn);
