// admin.engine: the admin API's view of the running app (upstream's engine management handler):
// GET .../engine/status    {status, app, engineVersion, moduleCount, workflowCount, pipelineCount, startedAt,
// uptimeSeconds}
//   GET .../engine/config    the app's config (as given: ${VAR} references unexpanded; literal secrets redacted)
//   GET .../engine/modules   [{name, type, dependsOn}] of the app's modules
//   GET .../engine/services  names in the app's service registry
// Routed by path suffix, so any prefix works. Callers are authenticated by the route's auth middleware;
// this module asks for the admin role in the verified claims.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AppContext,
  engineVersion,
  getRequestClaims,
  type HttpHandler,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, requestPath, writeJson } from '../support/index.ts';

export const adminEngineSchema: TypeSchema = {
  description:
    "The admin API's engine endpoints (status, config, modules, services) for the running app; mount it " +
    'behind an auth middleware',
  configFields: [
    {
      key: 'roles',
      type: 'array',
      default: ['admin'],
      description: 'roles (the token claim `role`) that may read the engine; an empty list lets any authenticated user',
    },
  ],
};

const SECRET_KEY = /secret|password|passwd|token|apikey|api_key|private/i;
const REFERENCE = /^\$\{[^}]+\}$/;

/** The config with literal values of secret-looking keys replaced; `${VAR}` references are shown. */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  if (SECRET_KEY.test(key) && typeof value === 'string' && value !== '' && !REFERENCE.test(value)) return '<redacted>';
  return value;
}

export class AdminEngineModule implements Module, HttpHandler {
  readonly type = 'admin.engine';
  private app?: AppContext;
  private startedAt?: Date;

  constructor(
    readonly name: string,
    private readonly roles: string[],
  ) {}

  init(app: AppContext): void {
    this.app = app;
  }

  start(): void {
    this.startedAt = new Date();
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const app = this.app;
    if (!app) return writeJson(res, 503, { error: 'the engine is not initialised yet' });
    const role = getRequestClaims(req)?.role;
    if (this.roles.length > 0 && !this.roles.includes(String(role ?? '')))
      return writeJson(res, 403, { error: `the engine API needs the role ${this.roles.join(' or ')}` });
    const endpoint = /\/engine\/([a-z]+)\/?$/.exec(requestPath(req))?.[1];
    const modules = Array.isArray(app.config.modules) ? app.config.modules : [];
    switch (endpoint) {
      case 'status':
        return writeJson(res, 200, {
          status: this.startedAt ? 'running' : 'starting',
          app: app.appName,
          engineVersion,
          moduleCount: modules.length,
          workflowCount: Object.keys(app.config.workflows ?? {}).length,
          pipelineCount: Object.keys(app.config.pipelines ?? {}).length,
          ...(this.startedAt
            ? {
                startedAt: this.startedAt.toISOString(),
                uptimeSeconds: Math.floor((Date.now() - this.startedAt.getTime()) / 1000),
              }
            : {}),
        });
      case 'config':
        return writeJson(res, 200, redactSecrets(app.config));
      case 'modules':
        return writeJson(
          res,
          200,
          modules.map((m) => ({ name: m.name, type: m.type, dependsOn: m.dependsOn ?? [] })),
        );
      case 'services':
        return writeJson(res, 200, app.services.names());
      default:
        return writeJson(res, 404, {
          error: 'unknown engine endpoint; there are .../engine/status, /config, /modules and /services',
        });
    }
  }
}

export const createAdminEngine: ModuleFactory = (spec) => {
  const c = new ConfigReader(spec.config);
  return new AdminEngineModule(spec.name, c.has('roles') ? c.stringList('roles') : ['admin']);
};
