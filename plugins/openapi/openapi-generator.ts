// openapi.generator: an OpenAPI 3.0.3 document of the app's HTTP routes, built once every module and
// pipeline exists and served at GET /api/openapi.json and /api/openapi.yaml (upstream
// module/openapi_generator.go). Routes come from every `workflows.<type>.routes` list, as upstream
// scans them, and from the pipelines' inline http triggers (this engine's usual way to route).
// Per route (upstream's rules): operationId method+CamelCase(path) ("getUsersById"), summary
// "METHOD /path" (or the route's `summary`, then `description`), tags [handler | workflow type |
// pipeline], a required string parameter per {param} (not {rest...}), a required JSON object body for
// POST/PUT/PATCH, responses 200 (JSON object), 400, 500, plus 401/403 when a middleware's name
// contains "auth".
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import {
  ConfigValueError,
  HttpRouterCap,
  type AppContext,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject } from '../support/index.ts';

export const openApiGeneratorSchema: TypeSchema = {
  description: 'Generates an OpenAPI 3.0 document of the app routes, served at /api/openapi.json and .yaml',
  configFields: [
    { key: 'title', type: 'string', default: 'Workflow API' },
    { key: 'version', type: 'string', default: '1.0.0' },
    { key: 'description', type: 'string' },
    { key: 'servers', type: 'array', description: 'server URLs listed in the document' },
  ],
};

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'options'] as const;
type Method = (typeof METHODS)[number];

export interface RouteDefinition {
  method: string;
  path: string;
  /** The tag when the route names no tags: its handler, else its workflow type or pipeline. */
  tag: string;
  summary?: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  middlewares?: string[];
}

type Operation = Record<string, unknown>;

/** upstream generateOperationID: "get" + "/users/{id}" -> "getUsersById". */
export function operationId(method: string, path: string): string {
  const parts = path
    .replace(/^\//, '')
    .replaceAll('/', '_')
    .replaceAll('{', 'by_')
    .replaceAll('}', '')
    .replaceAll('-', '_')
    .replaceAll('.', '_')
    .split('_')
    .filter((p) => p !== '');
  return method + parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

function buildOperation(method: Method, route: RouteDefinition): Operation {
  const op: Operation = {
    summary: route.description ?? route.summary ?? `${method.toUpperCase()} ${route.path}`,
    operationId: route.operationId ?? operationId(method, route.path),
    tags: route.tags ?? [route.tag],
  };
  const params = [...route.path.matchAll(/\{([^}]+)\}/g)]
    .map((m) => m[1]!)
    .filter((name) => !name.endsWith('...'))
    .map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (params.length > 0) op.parameters = params;
  if (method === 'post' || method === 'put' || method === 'patch')
    op.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
  const responses: Record<string, unknown> = {
    '200': { description: 'Successful response', content: { 'application/json': { schema: { type: 'object' } } } },
    '400': { description: 'Bad request' },
  };
  if (route.middlewares?.some((m) => m.includes('auth'))) {
    responses['401'] = { description: 'Unauthorized' };
    responses['403'] = { description: 'Forbidden' };
  }
  responses['500'] = { description: 'Internal server error' };
  op.responses = responses;
  return op;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Every route of a config: workflows' route lists (upstream), then pipelines' http triggers. */
export function collectRoutes(config: AppContext['config']): RouteDefinition[] {
  const routes: RouteDefinition[] = [];
  for (const [workflowType, section] of Object.entries(config.workflows ?? {})) {
    if (!isPlainObject(section) || !Array.isArray(section.routes)) continue;
    for (const r of section.routes) {
      if (!isPlainObject(r) || !str(r.method) || !str(r.path)) continue;
      routes.push({
        method: r.method as string,
        path: r.path as string,
        tag: str(r.handler) || workflowType,
        summary: str(r.summary),
        description: str(r.description),
        operationId: str(r.operationId),
        tags: strings(r.tags),
        middlewares: strings(r.middlewares),
      });
    }
  }
  for (const [name, pipeline] of Object.entries(config.pipelines ?? {})) {
    const trigger = pipeline?.trigger;
    if (trigger?.type !== 'http' || !isPlainObject(trigger.config)) continue;
    const { method, path } = trigger.config;
    if (typeof path !== 'string' || path === '') continue;
    routes.push({ method: typeof method === 'string' && method !== '' ? method : 'GET', path, tag: name });
  }
  return routes;
}

export interface GeneratorInfo {
  title: string;
  version: string;
  description?: string;
  servers: string[];
}

/** The document: paths sorted, operations in upstream's method order. */
export function buildSpec(info: GeneratorInfo, routes: RouteDefinition[]): Record<string, unknown> {
  const byPath = new Map<string, Partial<Record<Method, Operation>>>();
  for (const route of routes) {
    const method = route.method.toLowerCase() as Method;
    if (!METHODS.includes(method)) continue;
    const item = byPath.get(route.path) ?? {};
    item[method] = buildOperation(method, route);
    byPath.set(route.path, item);
  }
  const paths: Record<string, unknown> = {};
  for (const path of [...byPath.keys()].sort()) {
    const item = byPath.get(path)!;
    paths[path] = Object.fromEntries(METHODS.filter((m) => item[m]).map((m) => [m, item[m]]));
  }
  const spec: Record<string, unknown> = {
    openapi: '3.0.3',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
  };
  if (info.servers.length > 0) spec.servers = info.servers.map((url) => ({ url }));
  spec.paths = paths;
  return spec;
}

export class OpenApiGenerator implements Module {
  readonly type = 'openapi.generator';
  readonly info: GeneratorInfo;
  spec?: Record<string, unknown>;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const cfg = new ConfigReader(config);
    const servers = config.servers;
    if (servers !== undefined && (!Array.isArray(servers) || servers.some((s) => typeof s !== 'string')))
      throw new ConfigValueError('"servers" must be a list of URLs', {
        path: ['servers'],
        hint: 'servers: ["https://api.example.com"]',
      });
    this.info = {
      title: cfg.string('title') || 'Workflow API',
      version: cfg.string('version') || '1.0.0',
      description: cfg.string('description') || undefined,
      servers: (servers as string[] | undefined) ?? [],
    };
  }

  build(app: AppContext): void {
    this.spec = buildSpec(this.info, collectRoutes(app.config));
  }

  private send(res: ServerResponse, contentType: string, text: string): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType);
    res.end(text);
  }

  serveJson = (_req: unknown, res: ServerResponse): void =>
    this.send(res, 'application/json', `${JSON.stringify(this.spec, null, 2)}\n`);

  serveYaml = (_req: unknown, res: ServerResponse): void =>
    this.send(res, 'application/x-yaml', toYaml(this.spec, { indent: 2, lineWidth: 0 }));
}

export const createOpenApiGenerator: ModuleFactory = (spec) => new OpenApiGenerator(spec.name, spec.config);

/** observability.openapi-endpoints: build each generator's document, mount it on the first router. */
export function mountOpenApiGenerators(app: AppContext): void {
  for (const name of app.services.names()) {
    const gen = app.services.get(name);
    if (!(gen instanceof OpenApiGenerator) || gen.name !== name) continue;
    gen.build(app);
    const router = app.services.find(HttpRouterCap);
    if (!router || router.hasRoute('GET', '/api/openapi.json')) continue;
    const owner = `openapi.generator ${gen.name}`;
    router.addRoute('GET', '/api/openapi.json', gen.serveJson, { owner });
    router.addRoute('GET', '/api/openapi.yaml', gen.serveYaml, { owner });
  }
}
