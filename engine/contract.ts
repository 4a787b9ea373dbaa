// The engine's plugin contract: what a plugin (plugins/*) may contribute and what it may ask of the
// running app. Plugins import these types through engine/index.ts only.
//
// Shape follows the upstream Go engine (UPSTREAM.md 4.1): plugins contribute module factories, step
// factories, trigger factories, workflow handlers, per-type schemas, wiring hooks and pipeline trigger
// config wrappers. Services are looked up by name or by capability (the Go code looks them up by
// interface; a TypeScript capability is a name plus a structural type guard).
//
// Rules for changing this file: additive changes only (new optional members, new types), so that
// engine/ and plugins/ can be developed side by side. Say so in the commit message.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CliCommand } from './cli-commands.ts';

export type { Logger };

/** A plain JSON-ish object as decoded from YAML. */
export type ConfigMap = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Errors with a location
// ---------------------------------------------------------------------------------------------

/** A path inside a YAML document, e.g. ['modules', 3, 'config', 'port']. */
export type ConfigPath = ReadonlyArray<string | number>;

/**
 * A user error in a config value. Factories throw it with a path relative to the module's or step's
 * `config` map; the engine prefixes the module/step path and turns it into file:line:column.
 */
export class ConfigValueError extends Error {
  readonly path: ConfigPath;
  readonly hint?: string;
  constructor(message: string, opts: { path?: ConfigPath; hint?: string } = {}) {
    super(message);
    this.name = 'ConfigValueError';
    this.path = opts.path ?? [];
    this.hint = opts.hint;
  }
}

/**
 * A step failure that callers should see as a client error (upstream "validation error"): the HTTP
 * trigger answers with `status` (default 400) and JSON `{"error": message}` instead of a 500.
 */
export class ValidationError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'ValidationError';
    this.status = status;
  }
}

// ---------------------------------------------------------------------------------------------
// Services and capabilities
// ---------------------------------------------------------------------------------------------

/** A named structural interface: how "find the first service that implements X" is spelled in TS. */
export interface Capability<T> {
  readonly name: string;
  is(value: unknown): value is T;
}

export function defineCapability<T>(name: string, ...methods: string[]): Capability<T> {
  return {
    name,
    is(value: unknown): value is T {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
      const v = value as Record<string, unknown>;
      return methods.every((m) => typeof v[m] === 'function');
    },
  };
}

export interface ServiceRegistry {
  register(name: string, service: unknown): void;
  has(name: string): boolean;
  get<T = unknown>(name: string): T | undefined;
  /** Like get, but throws a clear error naming the missing service and who asked for it. */
  require<T = unknown>(name: string, requiredBy: string): T;
  /** First registered service (in registration order, which is deterministic) with the capability. */
  find<T>(cap: Capability<T>): T | undefined;
  findAll<T>(cap: Capability<T>): Array<{ name: string; service: T }>;
  names(): string[];
}

// ---------------------------------------------------------------------------------------------
// The app as seen by modules, steps, triggers and handlers
// ---------------------------------------------------------------------------------------------

/** A compiled template value: the result of compiling a step config value at load time. */
export interface CompiledValue {
  /** True when the value contains `{{ }}` or `${ }` and must be evaluated per execution. */
  readonly dynamic: boolean;
  /** Resolve against a pipeline context; strings come back as strings (upstream semantics). */
  resolve(ctx: PipelineContext): unknown;
}

export interface TemplateCompiler {
  /**
   * Compile a config value (string, array, map, scalar) once. Throws ConfigValueError on a template
   * parse error, so bad templates are load-time config errors, not request-time 500s.
   */
  compile(value: unknown, path?: ConfigPath): CompiledValue;
  /** Evaluate a dotted path (`steps.parse.body.id`, `.`, `body.items`) against a context. */
  lookup(ctx: PipelineContext, dottedPath: string): unknown;
  /** Go-template truthiness as used by guards: trimmed string not in {"", "false", "0"}. */
  truthy(value: unknown): boolean;
}

export interface EngineEvents {
  on(event: string, listener: (payload: ConfigMap) => void): void;
  off(event: string, listener: (payload: ConfigMap) => void): void;
  emit(event: string, payload: ConfigMap): void;
}

/** Live HTTP exchange attached to a workflow execution by the HTTP trigger. */
export interface HttpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** Request body, read once by the trigger (undefined for bodiless requests). */
  rawBody?: Buffer;
  /** Named path parameters from the matched route pattern. */
  params: Record<string, string>;
  /** The route pattern that matched, e.g. "GET /api/orders/{id}". */
  routePattern: string;
}

export interface TriggerOptions {
  http?: HttpExchange;
  signal?: AbortSignal;
}

export interface WorkflowRunner {
  /**
   * Upstream `TriggerWorkflow(ctx, workflowType, action, data)`. `pipeline:<name>` runs a pipeline;
   * other types go to the first workflow handler whose canHandle matches.
   */
  triggerWorkflow(workflowType: string, action: string, data: ConfigMap, opts?: TriggerOptions): Promise<ConfigMap>;
  /** Run a pipeline by name; returns `_pipeline_output` if a pipeline_output step ran, else Current. */
  executePipeline(name: string, data: ConfigMap, opts?: TriggerOptions): Promise<ConfigMap>;
  hasPipeline(name: string): boolean;
  /** Run a pipeline and return its whole context (step outputs, metadata), for callers that need more than Current. */
  run(name: string, data: ConfigMap, opts?: TriggerOptions): Promise<PipelineContext>;
  /**
   * Build and register a pipeline from config at configure time (route-level `pipeline.steps` of a
   * workflow handler). Throws ConfigError with located issues; `configPath` is where the steps live.
   */
  definePipeline?(
    name: string,
    config: PipelineConfig,
    opts?: { routePattern?: string; configPath?: ConfigPath },
  ): void;
}

export interface AppContext {
  /** Application name (config `name`, else file basename); tenant id under EngineManager. */
  readonly appName: string;
  /** Absolute directory of the config file, for relative paths (upstream `_config_dir`). */
  readonly configDir: string;
  /** The whole merged config, read-only. */
  readonly config: WorkflowConfig;
  readonly services: ServiceRegistry;
  readonly logger: Logger;
  readonly events: EngineEvents;
  readonly templates: TemplateCompiler;
  readonly workflows: WorkflowRunner;
  /** Data directory for modules that persist state (sqlite files default here when relative). */
  readonly dataDir: string;
}

// ---------------------------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------------------------

export interface Module {
  readonly name: string;
  readonly type: string;
  /** After every module is registered: look up dependencies, register extra services. */
  init?(app: AppContext): void | Promise<void>;
  /** In dependency order, after every init. */
  start?(app: AppContext): void | Promise<void>;
  /** In reverse dependency order. Must be idempotent and must not throw for "already stopped". */
  stop?(app: AppContext): void | Promise<void>;
  /**
   * Graceful shutdown, called on every module before any `stop`: stop accepting new work and let
   * in-flight work finish, within `deadlineMs` (an HTTP server stops listening and drains requests).
   */
  drain?(app: AppContext, deadlineMs: number): void | Promise<void>;
}

export interface ModuleSpec {
  name: string;
  type: string;
  /** Config after `${VAR}` expansion, with `_config_dir` injected. */
  config: ConfigMap;
  dependsOn: string[];
}

export type ModuleFactory = (spec: ModuleSpec, app: AppContext) => Module;

// ---------------------------------------------------------------------------------------------
// Pipelines and steps
// ---------------------------------------------------------------------------------------------

export interface PipelineContext {
  /** Immutable copy of the input. */
  readonly triggerData: ConfigMap;
  /** stepName -> output map. */
  readonly stepOutputs: Record<string, ConfigMap>;
  /** Trigger data merged with every step output, flat, later wins. */
  current: ConfigMap;
  /** pipeline, started_at, _route_pattern, _pipeline_output, _response_handled, ... */
  readonly metadata: ConfigMap;
  /** The live HTTP exchange when the pipeline runs under the HTTP trigger. */
  readonly http?: HttpExchange;
  readonly signal: AbortSignal;
  readonly pipelineName: string;
  readonly logger: Logger;
  /** The pipeline's `strict_templates`: a missing key fails the step instead of rendering a zero value. */
  readonly strictTemplates?: boolean;
  /**
   * Calls `listener` once when the whole run ends: with the error that failed it, or none. For steps
   * that judge what comes after them (step.circuit_breaker). Additive: absent in older contexts.
   */
  onFinish?(listener: (error?: unknown) => void): void;
}

export interface StepResult {
  output?: ConfigMap;
  /** End the pipeline successfully after this step. */
  stop?: boolean;
  /** Goto: continue linearly from this step name. */
  nextStep?: string;
  /**
   * Output keys whose values are secrets (step.secret_fetch): execution recorders (eventstore) get
   * "[REDACTED]" in their place; the pipeline itself sees the values. Additive.
   */
  sensitiveOutput?: string[];
}

export interface Step {
  readonly name: string;
  readonly type: string;
  execute(ctx: PipelineContext): Promise<StepResult>;
}

export interface StepSpec {
  name: string;
  type: string;
  config: ConfigMap;
  /** Name of the pipeline the step belongs to. */
  pipeline: string;
}

export interface StepBuildContext extends AppContext {
  /** Build nested steps (foreach, parallel, branch) with the same registry and error mapping. */
  buildSteps(specs: unknown[], path: ConfigPath): Step[];
}

export type StepFactory = (spec: StepSpec, ctx: StepBuildContext) => Step;

// ---------------------------------------------------------------------------------------------
// Triggers and workflow handlers
// ---------------------------------------------------------------------------------------------

export interface Trigger {
  readonly type: string;
  /** Called once per config section (top-level `triggers.<type>` or wrapped inline pipeline triggers). */
  configure(app: AppContext, config: ConfigMap): void | Promise<void>;
  start?(app: AppContext): void | Promise<void>;
  stop?(app: AppContext): void | Promise<void>;
}

export type TriggerFactory = () => Trigger;

export interface WorkflowHandler {
  canHandle(workflowType: string): boolean;
  /** Configure the `workflows.<type>` section. */
  configure(app: AppContext, workflowType: string, config: unknown): void | Promise<void>;
  execute(
    app: AppContext,
    workflowType: string,
    action: string,
    data: ConfigMap,
    opts?: TriggerOptions,
  ): Promise<ConfigMap>;
}

export type WorkflowHandlerFactory = () => WorkflowHandler;

/**
 * Converts an inline pipeline trigger (`pipelines.<name>.trigger: {type, config}`) into the config of
 * a top-level trigger, e.g. http {path, method} -> {routes: [{path, method, workflow: 'pipeline:<name>', action:
 * 'execute'}]}.
 */
export type PipelineTriggerWrapper = (
  pipelineName: string,
  config: ConfigMap,
) => { triggerType: string; config: ConfigMap };

export interface WiringHook {
  name: string;
  /** Higher runs first (upstream). */
  priority: number;
  run(app: AppContext): void | Promise<void>;
}

/**
 * Rewrites the config before any module is built (upstream ConfigTransformHook, e.g. config.provider
 * expanding `{{config "key"}}`). Throw a ConfigValueError whose path starts at the config root for a
 * located error.
 */
export interface ConfigTransformHook {
  name: string;
  /** Higher runs first (upstream). */
  priority: number;
  transform(
    config: WorkflowConfig,
    ctx: { env: Record<string, string | undefined> },
  ): ConfigTransformResult | undefined;
}

export interface ConfigTransformResult {
  /** The config to build the app from. */
  config: WorkflowConfig;
  /** Backs the `config KEY` template function at run time. */
  configLookup?: (key: string) => string | undefined;
  /** Services registered under these names before modules are built (upstream `config.registry`). */
  services?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Schemas (validation + `wfctl schema`)
// ---------------------------------------------------------------------------------------------

export type ConfigFieldType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'array'
  | 'map'
  | 'duration'
  | 'select'
  | 'json'
  | 'filepath'
  | 'sql'
  | 'any';

export interface ConfigField {
  key: string;
  type: ConfigFieldType;
  description?: string;
  required?: boolean;
  default?: unknown;
  options?: string[];
  /** Other accepted spellings (upstream aliases such as `module` for `database`). */
  aliases?: string[];
}

export interface TypeSchema {
  description: string;
  configFields: ConfigField[];
  /** Step outputs (documentation and template cross-reference checks). */
  outputs?: Array<{ key: string; type: string; description?: string }>;
  /**
   * Extra per-type validation beyond required keys; return problems with paths relative to config.
   * For step types, `context.pipelineStepNames` lists the steps of the enclosing pipeline (goto targets).
   * `runTime`: upstream's engine accepts this at load time; what happens when the path runs (e.g. an
   * unknown goto target fails the run that takes it). `wfctl run` starts the app with a warning unless
   * --strict.
   */
  validate?(
    config: ConfigMap,
    context?: { pipelineStepNames?: string[] },
  ): Array<{ message: string; path?: ConfigPath; hint?: string; runTime?: string }>;
}

// ---------------------------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------------------------

/** The subset of the registry manifest (plugins/<dir>/manifest.json) the engine reads. */
export interface PluginManifestInfo {
  name: string;
  version: string;
  description: string;
  tier: 'core' | 'community' | 'premium';
  /** The engine plugin API range the plugin was written against, e.g. "^1.0" (plugin-api.ts). */
  engineApi?: string;
}

export interface EnginePlugin {
  manifest: PluginManifestInfo;
  modules?: Record<string, ModuleFactory>;
  steps?: Record<string, StepFactory>;
  triggers?: Record<string, TriggerFactory>;
  workflowHandlers?: Record<string, WorkflowHandlerFactory>;
  moduleSchemas?: Record<string, TypeSchema>;
  stepSchemas?: Record<string, TypeSchema>;
  pipelineTriggerWrappers?: Record<string, PipelineTriggerWrapper>;
  wiringHooks?: WiringHook[];
  configTransformHooks?: ConfigTransformHook[];
  /** Module types that count as entry points for the validator's entry-point check. */
  entryPointModuleTypes?: string[];
  /** Types another plugin may replace. */
  overridableTypes?: string[];
  /** Named CLI command functions for step.cli_invoke (engine/cli-commands.ts); the host's win a clash. */
  cliCommands?: Record<string, CliCommand>;
}

// ---------------------------------------------------------------------------------------------
// Config model (UPSTREAM.md 1.1)
// ---------------------------------------------------------------------------------------------

export interface ModuleConfig {
  name: string;
  type: string;
  config?: ConfigMap;
  dependsOn?: string[];
  satisfies?: string[];
  protected?: boolean;
  branches?: ConfigMap;
  environments?: ConfigMap;
}

export interface StepConfig {
  name: string;
  type: string;
  config?: ConfigMap;
  skip_if?: string;
  if?: string;
  error_status?: number;
  on_error?: string;
  timeout?: string;
}

export interface PipelineConfig {
  trigger?: { type: string; config?: ConfigMap };
  steps?: StepConfig[];
  on_error?: 'stop' | 'skip' | 'compensate' | string;
  timeout?: string;
  compensation?: StepConfig[];
  outputs?: ConfigMap;
  strict_templates?: boolean;
}

export interface WorkflowConfig {
  name?: string;
  version?: string;
  description?: string;
  imports?: string[];
  modules?: ModuleConfig[];
  workflows?: Record<string, unknown>;
  triggers?: Record<string, unknown>;
  pipelines?: Record<string, PipelineConfig>;
  requires?: { capabilities?: string[]; plugins?: Array<{ name: string; version?: string; source?: string }> };
  plugins?: { external?: Array<{ name: string; version?: string; autoFetch?: boolean }> };
  application?: { name?: string; workflows?: Array<{ file: string; name?: string }> };
  engine?: { validation?: { templateRefs?: 'off' | 'warn' | 'error' } };
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Well-known capabilities shared by several plugins
// ---------------------------------------------------------------------------------------------

export type HttpHandlerFn = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => void | Promise<void>;

/** Anything that can answer an HTTP request (http.handler, api.handler, auth.jwt, static.fileserver...). */
export interface HttpHandler {
  handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void | Promise<void>;
}
export const HttpHandlerCap = defineCapability<HttpHandler>('HttpHandler', 'handleHttp');

/** Wraps a handler; first in a list is outermost. */
export interface HttpMiddleware {
  wrap(next: HttpHandlerFn): HttpHandlerFn;
}
export const HttpMiddlewareCap = defineCapability<HttpMiddleware>('HttpMiddleware', 'wrap');

export interface RouteOptions {
  middlewares?: HttpMiddleware[];
  /** Who added the route, for conflict messages. */
  owner?: string;
}

/** Go 1.22 ServeMux patterns: "GET /api/items/{id}", "/static/{rest...}", "/" (prefix). */
export interface HttpRouter {
  addRoute(method: string, path: string, handler: HttpHandlerFn, opts?: RouteOptions): void;
  hasRoute(method: string, path: string): boolean;
  /** Middleware applied to every request (CORS, request id...), in order added, first outermost. */
  useGlobal(mw: HttpMiddleware): void;
}
export const HttpRouterCap = defineCapability<HttpRouter>('HttpRouter', 'addRoute', 'hasRoute', 'useGlobal');

export interface HttpServer {
  attachRouter(router: HttpRouter & { dispatch: HttpHandlerFn }): void;
  /**
   * Actual bound address once started (port 0 resolves here). `host` is one to connect to (loopback
   * for a wildcard bind); `bindAddress` is what the socket is bound to ("0.0.0.0" or "::" for all).
   */
  address(): { host: string; port: number; bindAddress?: string } | undefined;
}
export const HttpServerCap = defineCapability<HttpServer>('HttpServer', 'attachRouter', 'address');

export interface MessageSubscriber {
  handleMessage(topic: string, payload: Buffer, meta?: ConfigMap): void | Promise<void>;
}
export const MessageSubscriberCap = defineCapability<MessageSubscriber>('MessageSubscriber', 'handleMessage');

export interface MessageBroker {
  publish(topic: string, payload: Buffer | string | ConfigMap, meta?: ConfigMap): Promise<void>;
  subscribe(
    topic: string,
    subscriber: MessageSubscriber | ((topic: string, payload: Buffer, meta?: ConfigMap) => void | Promise<void>),
  ): () => void;
}
export const MessageBrokerCap = defineCapability<MessageBroker>('MessageBroker', 'publish', 'subscribe');

/** The workflow scheduler interface the `schedule` trigger binds to. */
export interface JobScheduler {
  schedule(cron: string, job: () => Promise<void>, opts?: { name?: string; timezone?: string }): () => void;
}
export const JobSchedulerCap = defineCapability<JobScheduler>('JobScheduler', 'schedule');

/** SQL database service (storage.sqlite, database.workflow). Positional parameters. */
export interface SqlDatabase {
  query(sql: string, params?: unknown[]): ConfigMap[];
  exec(sql: string, params?: unknown[]): { affectedRows: number; lastId: number | bigint | null };
  ping(): boolean;
}
export const SqlDatabaseCap = defineCapability<SqlDatabase>('SqlDatabase', 'query', 'exec', 'ping');

/** Validates a bearer credential (auth.jwt...). Used by http.middleware.auth. */
export interface AuthProvider {
  authenticate(token: string): Promise<{ ok: true; claims: ConfigMap } | { ok: false; reason: string }>;
}
export const AuthProviderCap = defineCapability<AuthProvider>('AuthProvider', 'authenticate');

/** A component the health checker pings (`persistence.<svc>` checks upstream). */
export interface HealthCheckable {
  healthCheck(): Promise<{ status: 'healthy' | 'degraded' | 'unhealthy'; message?: string }>;
}
export const HealthCheckableCap = defineCapability<HealthCheckable>('HealthCheckable', 'healthCheck');

// ---------------------------------------------------------------------------------------------
// Request-scoped values shared between HTTP plugins
// ---------------------------------------------------------------------------------------------

/** A value carried on a request object under a global symbol (shared by every plugin copy). */
function requestSlot<T>(name: string): {
  set(req: IncomingMessage, value: T): void;
  get(req: IncomingMessage): T | undefined;
} {
  const key = Symbol.for(name);
  return {
    set: (req, value) => {
      (req as unknown as Record<symbol, unknown>)[key] = value;
    },
    get: (req) => (req as unknown as Record<symbol, T | undefined>)[key],
  };
}

const claimsSlot = requestSlot<ConfigMap>('workflow.request.claims');
const routeSlot = requestSlot<string>('workflow.request.route');

/** Attach the verified claims of an authenticated request (http.middleware.auth does this). */
export const setRequestClaims: (req: IncomingMessage, claims: ConfigMap) => void = claimsSlot.set;

/** Claims of an authenticated request, if an auth middleware verified one. */
export const getRequestClaims: (req: IncomingMessage) => ConfigMap | undefined = claimsSlot.get;

/** Record the route pattern that matched a request (the router does; metrics label by it). */
export const setRequestRoute: (req: IncomingMessage, pattern: string) => void = routeSlot.set;

export const getRequestRoute: (req: IncomingMessage) => string | undefined = routeSlot.get;

/**
 * Receives the execution events of every pipeline run (upstream EventRecorder; eventstore.service is
 * one): `execution.started` {pipeline, input}, `step.started` {step_name, step_type},
 * `step.output_recorded` {step_name, output}, `step.completed` / `step.failed` {step_name, error},
 * `step.skipped` {step_name, reason}, `execution.completed` / `execution.failed` {error}. The engine
 * uses the first registered service with this capability. Must not throw (a recorder's failure must
 * not fail the run). Additive.
 */
export interface ExecutionRecorder {
  recordExecutionEvent(executionId: string, eventType: string, data: ConfigMap): void;
}
export const ExecutionRecorderCap = defineCapability<ExecutionRecorder>('ExecutionRecorder', 'recordExecutionEvent');

/** Named data transformation pipelines (data.transformer); used by step.transform's `transformer`. */
export interface DataTransformer {
  transform(pipelineName: string, data: unknown): unknown | Promise<unknown>;
}
export const DataTransformerCap = defineCapability<DataTransformer>('DataTransformer', 'transform');

/**
 * A key -> value cache (cache.modular in memory, cache.redis): what step.cache_get/set/delete use.
 * Methods may answer directly or with a promise. `ttlMs` 0 or absent: the cache's default.
 */
export interface CacheStore {
  get(key: string): unknown | Promise<unknown>;
  set(key: string, value: unknown, ttlMs?: number): void | Promise<void>;
  delete(key: string): boolean | Promise<boolean>;
}
export const CacheStoreCap = defineCapability<CacheStore>('CacheStore', 'get', 'set', 'delete');

/**
 * A secrets store (secrets.vault): what step.secret_fetch / step.secret_set and http.client's
 * secret references use. Keys are the provider's own syntax (Vault: `path` or `path#field`).
 * `getSecret` rejects with SecretNotFoundError when the key (or field) does not exist. Messages of
 * every error must name keys only, never values. Additive.
 */
export interface SecretsProvider {
  getSecret(key: string): Promise<string>;
  setSecret(key: string, value: string): Promise<void>;
}
export const SecretsProviderCap = defineCapability<SecretsProvider>('SecretsProvider', 'getSecret', 'setSecret');

/** A secrets store that can generate and store a new value for a key (step.secret_rotate). Additive. */
export interface SecretRotator {
  /** Stores a freshly generated random value at `key` and returns it. */
  rotateSecret(key: string): Promise<string>;
}
export const SecretRotatorCap = defineCapability<SecretRotator>('SecretRotator', 'rotateSecret');

/** The secret (or the field of it) does not exist in the provider (upstream secrets.ErrNotFound). Additive. */
export class SecretNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretNotFoundError';
  }
}
