// openapi: serves the operations of an OpenAPI 3 spec on an http.router. Each request is checked
// against the spec (parameters and JSON body, ajv) and answered 400 with the problems when it does
// not fit; operations with `x-pipeline` run that pipeline, others answer 501. Also serves the spec
// (base_path/openapi.json, /openapi.yaml) and, when enabled, a Swagger UI page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  ValidationError,
  type AppContext,
  type ConfigMap,
  type HttpRouter,
  type Logger,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { BodyTooLargeError, ConfigReader, isPlainObject, readBody, resolveFrom, writeJson } from '../support/index.ts';
import { loadOpenApiFile, type OpenApiDocument } from './openapi-spec.ts';
import { OperationValidator, SchemaCompiler, type ValidationProblem } from './request-validator.ts';
import { swaggerUiPage } from './swagger-ui.ts';

export const openApiSchema: TypeSchema = {
  description: 'Routes, request validation and docs from an OpenAPI 3 spec',
  configFields: [
    {
      key: 'spec_file',
      type: 'filepath',
      required: true,
      description: 'OpenAPI 3 YAML/JSON file, relative to the config file',
    },
    { key: 'base_path', type: 'string', default: '', description: 'Prefix for every spec path, e.g. /api/v1' },
    { key: 'router', type: 'string', description: 'http.router to mount on (default: the first router)' },
    { key: 'register_routes', type: 'boolean', default: true },
    { key: 'validation', type: 'map', description: '{request: true, response: false, response_action: warn|error}' },
    { key: 'swagger_ui', type: 'map', description: '{enabled: false, path: /docs}' },
    { key: 'max_body_bytes', type: 'number', default: 1048576 },
  ],
};

const DEFAULT_MAX_BODY = 1 << 20;

export class OpenApiModule implements Module {
  readonly type = 'openapi';
  readonly doc: OpenApiDocument;
  readonly basePath: string;
  readonly routerName?: string;
  readonly registerRoutes: boolean;
  private readonly validateRequests: boolean;
  private readonly validateResponses: boolean;
  private readonly rejectBadResponses: boolean;
  private readonly swaggerPath?: string;
  private readonly maxBodyBytes: number;
  private readonly validators: OperationValidator[];
  private app?: AppContext;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    configDir: string,
  ) {
    const c = new ConfigReader(config);
    const specFile = c.requiredString('spec_file', 'point spec_file at an OpenAPI 3 YAML or JSON file');
    try {
      this.doc = loadOpenApiFile(resolveFrom(configDir, specFile));
    } catch (err) {
      throw new ConfigValueError((err as Error).message, { path: ['spec_file'] });
    }
    this.basePath = (c.string('base_path') ?? '').replace(/\/+$/, '');
    this.routerName = c.string('router') || undefined;
    this.registerRoutes = c.boolean('register_routes', true)!;
    const validation = new ConfigReader(c.map('validation') ?? {});
    this.validateRequests = validation.boolean('request', true)!;
    this.validateResponses = validation.boolean('response', false)!;
    this.rejectBadResponses = validation.oneOf('response_action', ['warn', 'error'] as const, 'warn') === 'error';
    const ui = new ConfigReader(c.map('swagger_ui') ?? {});
    if (ui.boolean('enabled', false)) this.swaggerPath = '/' + (ui.string('path') || 'docs').replace(/^\/+/, '');
    const maxBody = c.number('max_body_bytes', DEFAULT_MAX_BODY)!;
    this.maxBodyBytes = maxBody > 0 ? maxBody : DEFAULT_MAX_BODY;
    try {
      const compiler = new SchemaCompiler(this.doc.raw);
      this.validators = this.doc.operations.map((op) => new OperationValidator(op, compiler));
    } catch (err) {
      throw new ConfigValueError(`spec schema cannot be compiled: ${(err as Error).message}`, { path: ['spec_file'] });
    }
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: 'openapi', module: this.name });
  }

  /** Mount every operation, the spec documents and the optional UI on `router`. */
  mount(router: HttpRouter): void {
    const owner = `openapi ${this.name}`;
    for (const v of this.validators) {
      if (v.op.pipeline && !this.app?.workflows.hasPipeline(v.op.pipeline)) {
        this.logger?.warn(
          { operation: v.op.operationId, pipeline: v.op.pipeline },
          'x-pipeline names a pipeline that does not exist; the route answers 502',
        );
      }
      router.addRoute(v.op.method, this.basePath + v.op.path, (req, res, params) => this.serve(v, req, res, params), {
        owner,
      });
    }
    const specJson = JSON.stringify(this.doc.raw);
    router.addRoute(
      'GET',
      `${this.basePath}/openapi.json`,
      (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(specJson),
      { owner },
    );
    if (this.doc.isYaml) {
      router.addRoute(
        'GET',
        `${this.basePath}/openapi.yaml`,
        (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/yaml' }).end(this.doc.source),
        { owner },
      );
    }
    if (this.swaggerPath) {
      const page = swaggerUiPage(this.doc.title, `${this.basePath}/openapi.json`);
      router.addRoute(
        'GET',
        this.basePath + this.swaggerPath,
        (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page),
        { owner },
      );
    }
  }

  private async serve(
    v: OperationValidator,
    req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string>,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return writeJson(res, 413, { error: err.message });
      throw err;
    }
    if (this.validateRequests) {
      const problems = v.validateRequest(req, params, body);
      if (problems.length > 0)
        return writeJson(res, 400, {
          error: 'request validation failed',
          errors: problems.map((p) => p.message),
          details: problems,
        });
    }
    const op = v.op;
    if (!op.pipeline)
      return writeJson(res, 501, {
        error: 'not implemented',
        operationId: op.operationId ?? '',
        path: op.path,
        method: op.method,
      });
    const app = this.app!;
    if (!app.workflows.hasPipeline(op.pipeline))
      return writeJson(res, 502, { error: `pipeline "${op.pipeline}" not found` });
    let result: ConfigMap;
    try {
      result = await app.workflows.executePipeline(op.pipeline, requestData(req, params, body), {
        http: { req, res, rawBody: body, params, routePattern: `${op.method} ${this.basePath}${op.path}` },
      });
    } catch (err) {
      if (res.headersSent) return;
      if (err instanceof ValidationError) return writeJson(res, err.status, { error: err.message });
      this.logger?.error({ operation: op.operationId, err: (err as Error).message }, 'pipeline failed');
      return writeJson(res, 500, { error: `pipeline execution failed: ${(err as Error).message}` });
    }
    if (res.headersSent || res.writableEnded) return;
    this.respond(v, res, result);
  }

  /** `response_status`/`response_headers`/`response_body` as the HTTP trigger reads them, else 200 with the result. */
  private respond(v: OperationValidator, res: ServerResponse, result: ConfigMap): void {
    const status = Number(result.response_status);
    const explicit = result.response_status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (explicit && isPlainObject(result.response_headers))
      for (const [k, val] of Object.entries(result.response_headers)) headers[k] = String(val);
    const payload = explicit ? result.response_body : result;
    const text = typeof payload === 'string' ? payload : payload === undefined ? '' : JSON.stringify(payload);
    const code = explicit ? status : 200;
    if (this.validateResponses) {
      const problems = checkResponse(v, code, text);
      if (problems.length > 0) {
        this.logger?.warn(
          { operation: v.op.operationId, problems: problems.map((p) => p.message) },
          'response does not match the spec',
        );
        if (this.rejectBadResponses)
          return writeJson(res, 500, { error: 'response validation failed', errors: problems.map((p) => p.message) });
      }
    }
    res.writeHead(code, headers).end(text);
  }
}

function checkResponse(v: OperationValidator, status: number, text: string): ValidationProblem[] {
  if (text === '') return [];
  try {
    return v.validateResponse(status, JSON.parse(text));
  } catch {
    return [{ location: 'response', field: '', message: 'response body is not JSON' }];
  }
}

/** Pipeline data: path and query parameters, `body` (parsed JSON), and the body's fields where they do not clash. */
function requestData(req: IncomingMessage, params: Record<string, string>, body: Buffer): ConfigMap {
  const url = new URL(req.url ?? '/', 'http://x');
  const data: ConfigMap = { method: req.method ?? 'GET', path: url.pathname };
  for (const [k, val] of url.searchParams) if (!(k in data)) data[k] = val;
  Object.assign(data, params);
  if (body.length > 0) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      data.body = parsed;
      if (isPlainObject(parsed)) for (const [k, val] of Object.entries(parsed)) if (!(k in data)) data[k] = val;
    } catch {
      data.body = body.toString('utf8');
    }
  }
  return data;
}

export function createOpenApiModule(spec: ModuleSpec, app: AppContext): OpenApiModule {
  const configDir = typeof spec.config._config_dir === 'string' ? spec.config._config_dir : app.configDir;
  return new OpenApiModule(spec.name, spec.config, configDir);
}
