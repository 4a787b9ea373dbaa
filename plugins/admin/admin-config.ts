// The admin plugin's config provider (upstream's workflow-plugin-admin is a ConfigProvider too): the
// modules and routes that serve the admin API and dashboard on a port of their own, merged into an
// app's config. Pure: `withAdmin(config, options)` returns a new config; the app's own modules come
// first and keep their names, so everything of the app behaves as before. Every admin module is an
// ordinary module of the app (so the engine's status counts them, as upstream's does).
import type { ConfigMap, ModuleConfig, WorkflowConfig } from '../../engine/index.ts';

export interface AdminOptions {
  /** Listen address of the admin server (default ":8081", upstream's management port). */
  address?: string;
  /** The environment: the JWT secret comes from JWT_SECRET, else WORKFLOW_JWT_SECRET (upstream -jwt-secret). */
  env?: Record<string, string | undefined>;
}

/** A module of the app that, when present, means the admin is there already (upstream's test). */
export const ADMIN_SERVER = 'admin-server';

export class AdminConfigError extends Error {}

const authRoute = (method: string, path: string, middlewares: string[]) => ({
  method,
  path: `/api/v1/auth/${path}`,
  handler: 'admin-auth',
  middlewares,
});
const engineRoute = (path: string) => ({
  method: 'GET',
  path: `/api/v1/admin/engine/${path}`,
  handler: 'admin-engine',
  middlewares: ['admin-auth-middleware'],
});

/** The admin's own modules and routes. */
export function adminConfig(options: AdminOptions = {}): WorkflowConfig {
  const env = options.env ?? process.env;
  const secretVar = env.JWT_SECRET ? 'JWT_SECRET' : env.WORKFLOW_JWT_SECRET ? 'WORKFLOW_JWT_SECRET' : undefined;
  if (!secretVar)
    throw new AdminConfigError(
      'the admin signs its login tokens with a secret: set JWT_SECRET (or WORKFLOW_JWT_SECRET, upstream -jwt-secret)',
    );
  const module = (name: string, type: string, config?: ConfigMap, dependsOn?: string[]): ModuleConfig => ({
    name,
    type,
    ...(config ? { config } : {}),
    ...(dependsOn ? { dependsOn } : {}),
  });
  const limited = ['admin-ratelimit'];
  return {
    modules: [
      module(ADMIN_SERVER, 'http.server', { address: options.address ?? ':8081' }),
      module('admin-router', 'http.router', undefined, [ADMIN_SERVER]),
      module('admin-ratelimit', 'http.middleware.ratelimit', { requestsPerMinute: 120, burstSize: 20 }),
      // brute force: far fewer logins per client
      module('auth-login-ratelimit', 'http.middleware.ratelimit', { requestsPerMinute: 10, burstSize: 10 }),
      // users live in the app's data dir, so they survive restarts and redeployments
      module('admin-db', 'database.workflow', { driver: 'sqlite', dsn: 'admin.db' }),
      module('admin-persistence', 'persistence.store', { database: 'admin-db' }, ['admin-db']),
      module(
        'admin-auth',
        'auth.jwt',
        {
          secret: `\${${secretVar}}`,
          tokenExpiry: '24h',
          issuer: 'workflow-admin',
          responseFormat: 'oauth2',
          persistence: 'admin-persistence',
          // the first user comes from setup; later ones are added by an admin (POST /api/v1/auth/users)
          allowRegistration: false,
        },
        ['admin-persistence'],
      ),
      // only admin tokens open the admin API, whatever other auth providers the app has
      module('admin-auth-middleware', 'http.middleware.auth', { authType: 'Bearer', provider: 'admin-auth' }, [
        'admin-auth',
      ]),
      module('admin-engine', 'admin.engine'),
      module('admin-ui', 'admin.dashboard'),
    ],
    workflows: {
      'http-admin': {
        router: 'admin-router',
        server: ADMIN_SERVER,
        routes: [
          authRoute('GET', 'setup-status', limited),
          authRoute('POST', 'setup', limited),
          authRoute('POST', 'login', ['auth-login-ratelimit']),
          authRoute('POST', 'refresh', limited),
          authRoute('POST', 'logout', limited),
          authRoute('GET', 'me', limited),
          authRoute('PUT', 'me', limited),
          authRoute('GET', 'users', limited),
          authRoute('POST', 'users', limited),
          authRoute('DELETE', 'users/{id}', limited),
          authRoute('PUT', 'users/{id}/role', limited),
          engineRoute('status'),
          engineRoute('config'),
          engineRoute('modules'),
          engineRoute('services'),
          { method: 'GET', path: '/{path...}', handler: 'admin-ui' },
        ],
      },
    },
  } as WorkflowConfig;
}

/**
 * The app's config with the admin merged in: admin modules after the app's, the `http-admin`
 * workflow beside the app's workflows. A config that has an `admin-server` module already has its
 * admin and is returned as it is. Names the app already uses are an error (they would collide).
 */
export function withAdmin(config: WorkflowConfig, options: AdminOptions = {}): WorkflowConfig {
  const modules = Array.isArray(config.modules) ? config.modules : [];
  if (modules.some((m) => m?.name === ADMIN_SERVER)) return config;
  const admin = adminConfig(options);
  const taken = new Set(modules.map((m) => m?.name));
  const clashes = (admin.modules ?? []).map((m) => m.name).filter((n) => taken.has(n));
  if (clashes.length)
    throw new AdminConfigError(
      `the admin adds modules named ${clashes.join(', ')}, which this config already uses; rename them in the config`,
    );
  if (config.workflows && 'http-admin' in config.workflows)
    throw new AdminConfigError('the admin adds workflows.http-admin, which this config already has; rename it');
  return {
    ...config,
    modules: [...modules, ...(admin.modules ?? [])],
    workflows: { ...(config.workflows ?? {}), ...admin.workflows },
  };
}
