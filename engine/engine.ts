// One running workflow app (upstream BuildFromConfig, UPSTREAM.md 1.13): validate, order modules by
// dependsOn, build them through plugin factories (after `${VAR}` expansion), init all, configure
// workflow handlers, top-level triggers and pipelines (with inline triggers), run wiring hooks.
// start(): modules in order, then triggers. stop(): drain, triggers, modules in reverse.
import { createHash } from 'node:crypto';
import { basename, extname, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { ConfigError, formatIssue, formatJsonPath, type ConfigIssue, type ValidationResult } from './config-issue.ts';
import { loadConfigFile, loadConfigText, type LoadedConfig } from './config-loader.ts';
import {
  CLI_COMMAND_REGISTRY_SERVICE,
  type CliCommandRegistry,
  cliCommandRegistryFor,
  type CliCommand,
} from './cli-commands.ts';
import {
  ConfigValueError,
  ExecutionRecorderCap,
  type ConfigTransformResult,
  HttpServerCap,
  type AppContext,
  type ConfigMap,
  type ConfigPath,
  type EnginePlugin,
  type Logger,
  type Module,
  type PipelineConfig,
  type Trigger,
  type TriggerOptions,
  type WorkflowConfig,
} from './contract.ts';
import { AppEvents } from './engine-events.ts';
import { expandConfig, type SecretResolver } from './env-expansion.ts';
import { createLogger } from './logger.ts';
import { orderModules } from './module-order.ts';
import { PluginCatalog } from './plugin-catalog.ts';
import { AppServiceRegistry } from './service-registry.ts';
import { SourceMap } from './source-map.ts';
import { StepBuilder } from './step-builder.ts';
import { TemplateEngine } from './template/index.ts';
import { validateLoaded } from './validate/index.ts';
import { AppWorkflowRunner } from './workflow-runner.ts';

export interface EngineOptions {
  plugins: readonly EnginePlugin[];
  logger?: Logger;
  /** Where modules persist state; default WORKFLOW_DATA_DIR or ./data. */
  dataDir?: string;
  /** App name; default: config `name`, `application.name`, else the file's base name. */
  appName?: string;
  /** Environment for `${VAR}` expansion; default process.env. */
  env?: Record<string, string | undefined>;
  /** Listen address for the (first) http.server, e.g. ":8080", "127.0.0.1:0" (like --port / WORKFLOW_ADDR). */
  httpAddress?: string;
  /** `${scheme:ref}` resolvers for module config (e.g. vault). */
  secretProviders?: Record<string, SecretResolver>;
  /**
   * Refuse configs with mistakes upstream's engine meets only at run time (ConfigIssue.runTime), as
   * `wfctl validate` does. Default false: like upstream, start, warn, and fail only what takes that path.
   */
  strict?: boolean;
  /**
   * CLI command functions step.cli_invoke calls by name (upstream registers wfctl's commands as the
   * `cliCommandRegistry` service). Pass a CliCommandRegistry to keep registering after the build.
   */
  cliCommands?: CliCommandRegistry | Record<string, CliCommand>;
}

export type EngineState = 'built' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ModuleInfo {
  name: string;
  type: string;
  dependsOn: string[];
}

/** Not strict: the errors upstream's engine starts with become warnings that say what happens at run time. */
export function tolerateRunTimeErrors(result: ValidationResult, strict: boolean): ValidationResult {
  if (strict || !result.errors.some((e) => e.runTime)) return result;
  const errors = result.errors.filter((e) => !e.runTime);
  const deferred = result.errors
    .filter((e) => e.runTime)
    .map((e) => {
      const why = `started anyway, as upstream does: ${e.runTime} (wfctl run --strict refuses it)`;
      return { ...e, hint: e.hint ? `${e.hint}\n  ${why}` : why };
    });
  return { ok: errors.length === 0, errors, warnings: [...deferred, ...result.warnings] };
}

/** Normalise "8080" / ":8080" / "host:port" into a listen address string. */
export function normalizeAddress(address: string | number): string {
  const s = String(address).trim();
  if (/^\d+$/.test(s)) return `:${s}`;
  return s;
}

/** A copy of the config whose first http.server listens on `address` (the --port / WORKFLOW_ADDR override). */
export function overrideHttpAddress(config: WorkflowConfig, address: string): WorkflowConfig {
  const modules = Array.isArray(config.modules) ? config.modules : [];
  const index = modules.findIndex((m) => m && typeof m === 'object' && m.type === 'http.server');
  if (index === -1) return config;
  const target = modules[index]!;
  const cfg: ConfigMap = { ...(target.config ?? {}), address: normalizeAddress(address) };
  delete cfg.port;
  const copy = modules.slice();
  copy[index] = { ...target, config: cfg };
  return { ...config, modules: copy };
}

function loadedFromObject(config: WorkflowConfig, file: string, configDir: string): LoadedConfig {
  const sourceMap = new SourceMap();
  return {
    config,
    file,
    configDir,
    files: [file],
    sourceMap,
    issues: [],
    locate: (path) => sourceMap.locate(config, path, file),
    dirOf: () => configDir,
  };
}

interface BuiltModule {
  module: Module;
  index: number;
}

export class Engine {
  readonly app: AppContext;
  readonly name: string;
  /** sha256 of the effective config (upstream configHash). */
  readonly configHash: string;
  /** Validation warnings of the config this engine runs. */
  readonly warnings: ConfigIssue[];
  private _state: EngineState = 'built';
  private readonly modules: BuiltModule[];
  private readonly triggers: Map<string, Trigger>;
  private readonly runner: AppWorkflowRunner;
  private readonly events: AppEvents;
  private readonly logger: Logger;
  private started: BuiltModule[] = [];
  private stopping?: Promise<void>;

  private constructor(parts: {
    app: AppContext;
    name: string;
    configHash: string;
    warnings: ConfigIssue[];
    modules: BuiltModule[];
    triggers: Map<string, Trigger>;
    runner: AppWorkflowRunner;
    events: AppEvents;
    logger: Logger;
  }) {
    this.app = parts.app;
    this.name = parts.name;
    this.configHash = parts.configHash;
    this.warnings = parts.warnings;
    this.modules = parts.modules;
    this.triggers = parts.triggers;
    this.runner = parts.runner;
    this.events = parts.events;
    this.logger = parts.logger;
  }

  static async fromFile(path: string, opts: EngineOptions): Promise<Engine> {
    return Engine.fromLoaded(loadConfigFile(path), opts);
  }

  static async fromText(text: string, opts: EngineOptions & { file?: string; baseDir?: string }): Promise<Engine> {
    return Engine.fromLoaded(loadConfigText(text, { file: opts.file, baseDir: opts.baseDir }), opts);
  }

  static async fromConfig(
    config: WorkflowConfig,
    opts: EngineOptions & { configDir?: string; file?: string },
  ): Promise<Engine> {
    const configDir = resolve(opts.configDir ?? process.cwd());
    return Engine.fromLoaded(loadedFromObject(config, opts.file ?? '<config>', configDir), opts);
  }

  /** Build (validate, create, init and wire) an app from a loaded config. Throws ConfigError. */
  static async fromLoaded(loadedIn: LoadedConfig, opts: EngineOptions): Promise<Engine> {
    const loaded: LoadedConfig =
      opts.httpAddress !== undefined
        ? { ...loadedIn, config: overrideHttpAddress(loadedIn.config, opts.httpAddress) }
        : loadedIn;
    const name =
      opts.appName ??
      (typeof loaded.config.name === 'string' && loaded.config.name !== '' ? loaded.config.name : undefined) ??
      (typeof loaded.config.application?.name === 'string' ? loaded.config.application.name : undefined) ??
      (loaded.file.startsWith('<') ? 'app' : basename(loaded.file, extname(loaded.file)));
    const logger = (opts.logger ?? createLogger()).child({ app: name });
    const validation = tolerateRunTimeErrors(
      validateLoaded(loaded, { plugins: opts.plugins, allowNoEntryPoints: true, env: opts.env }),
      opts.strict === true,
    );
    if (!validation.ok) throw new ConfigError(validation.errors);
    for (const w of validation.warnings) logger.warn({ component: 'config' }, formatIssue(w, 'warning'));

    const catalog = new PluginCatalog(opts.plugins);
    for (const note of catalog.notes) logger.info({ component: 'plugins' }, note);
    const env = opts.env ?? process.env;
    const { config, configLookup, hookServices } = applyConfigTransforms(catalog, loaded, env);
    const services = new AppServiceRegistry();
    for (const [serviceName, service] of Object.entries(hookServices)) services.register(serviceName, service);
    // only when there are commands to call: an app without them keeps its service list as it was
    if (opts.cliCommands || opts.plugins.some((p) => p.cliCommands))
      services.register(CLI_COMMAND_REGISTRY_SERVICE, cliCommandRegistryFor(opts.plugins, opts.cliCommands));
    const events = new AppEvents((event, err) =>
      logger.error({ component: 'events', event, err: (err as Error)?.message }, 'event listener failed'),
    );
    // a template that does not parse fails its step when it runs (as upstream), unless strict refused it
    const templates = new TemplateEngine({ deferSyntaxErrors: true, configLookup });
    const issues: ConfigIssue[] = [];
    const issueAt = (path: ConfigPath, where: string, message: string, hint?: string) =>
      issues.push({
        ...loaded.locate(path),
        where,
        jsonPath: formatJsonPath(path),
        message,
        ...(hint ? { hint } : {}),
      });

    const appRef: { current?: AppContext } = {};
    const builder = new StepBuilder({
      catalog,
      get app() {
        return appRef.current!;
      },
      templates,
      locate: loaded.locate,
      dirOf: loaded.dirOf,
      logger: logger.child({ component: 'pipeline' }),
    });
    const runner = new AppWorkflowRunner(builder, events);
    const app: AppContext = {
      appName: name,
      configDir: loaded.configDir,
      config,
      services,
      logger,
      events,
      templates,
      workflows: runner,
      dataDir: resolve(opts.dataDir ?? process.env.WORKFLOW_DATA_DIR ?? 'data'),
    };
    appRef.current = app;
    runner.app = app;

    // --- modules, in dependsOn order
    const moduleConfigs = Array.isArray(config.modules) ? config.modules : [];
    const declared = new Set(moduleConfigs.map((m) => m.name));
    const order = orderModules(moduleConfigs.map((m) => ({ name: m.name, dependsOn: m.dependsOn ?? [] })));
    if (!order.ok)
      throw new ConfigError([
        {
          ...loaded.locate(['modules']),
          where: 'modules',
          jsonPath: 'modules',
          message: `module dependsOn cycle: ${order.cycle.join(' -> ')}`,
        },
      ]);
    const built: BuiltModule[] = [];
    for (const index of order.order) {
      const mc = moduleConfigs[index]!;
      const where = `module ${mc.name}`;
      const factory = catalog.modules.get(mc.type)!.factory;
      const cfg = expandConfig({ ...(mc.config ?? {}) }, { env, secretProviders: opts.secretProviders });
      cfg._config_dir = loaded.dirOf(mc);
      try {
        const module = factory(
          { name: mc.name, type: mc.type, config: cfg, dependsOn: (mc.dependsOn ?? []).filter((d) => declared.has(d)) },
          app,
        );
        services.register(mc.name, module);
        built.push({ module, index });
      } catch (err) {
        if (err instanceof ConfigValueError)
          issueAt(['modules', index, 'config', ...err.path], where, err.message, err.hint);
        else issueAt(['modules', index], where, `cannot create module: ${(err as Error).message}`);
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);

    const triggers = new Map<string, Trigger>();
    const engine = new Engine({
      app,
      name,
      configHash: hashConfig(loaded.config),
      warnings: validation.warnings,
      modules: built,
      triggers,
      runner,
      events,
      logger,
    });
    try {
      for (const b of built) {
        try {
          await b.module.init?.(app);
        } catch (err) {
          throw located(err, ['modules', b.index], `module ${b.module.name}`, 'init failed', loaded, [
            'modules',
            b.index,
            'config',
          ]);
        }
      }
      services.register('workflowEngine', runner);
      runner.recorder = services.find(ExecutionRecorderCap);

      // --- workflow handlers
      runner.handlers = catalog.createWorkflowHandlers();
      for (const [type, section] of Object.entries(config.workflows ?? {})) {
        const entry =
          runner.handlers.find((h) => h.type === type) ?? runner.handlers.find((h) => h.handler.canHandle(type));
        if (!entry)
          throw new ConfigError([
            {
              ...loaded.locate(['workflows', type]),
              where: `workflows.${type}`,
              jsonPath: `workflows.${type}`,
              message: `no handler found for workflow type "${type}"`,
            },
          ]);
        try {
          await entry.handler.configure(app, type, section);
        } catch (err) {
          throw located(err, ['workflows', type], `workflows.${type}`, 'configure failed', loaded);
        }
      }
      const triggerOf = (type: string): Trigger => {
        let t = triggers.get(type);
        if (!t) {
          t = catalog.triggers.get(type)!.factory();
          triggers.set(type, t);
        }
        return t;
      };
      // --- top-level triggers
      for (const [type, section] of Object.entries(config.triggers ?? {})) {
        if (section === null || section === undefined) continue;
        try {
          await triggerOf(type).configure(app, section as ConfigMap);
        } catch (err) {
          throw located(err, ['triggers', type], `trigger ${type}`, 'configure failed', loaded);
        }
      }
      // --- pipelines and their inline triggers
      for (const [pname, pconfig] of Object.entries(config.pipelines ?? {})) {
        const pc: PipelineConfig = pconfig ?? {};
        const def = builder.buildPipeline(pname, pc, ['pipelines', pname]);
        if (!def) continue;
        runner.register(def);
        const trig = pc.trigger;
        if (!trig || typeof trig.type !== 'string') continue;
        const wrapper = catalog.triggerWrappers.get(trig.type);
        if (!wrapper) {
          logger.warn(
            { component: 'pipelines', pipeline: pname },
            `no trigger of type "${trig.type}"; pipeline ${pname} is callable by name only`,
          );
          continue;
        }
        try {
          const wrapped = wrapper(pname, (trig.config ?? {}) as ConfigMap);
          if (!catalog.triggers.has(wrapped.triggerType))
            throw new Error(`trigger type "${wrapped.triggerType}" (from "${trig.type}") is not loaded`);
          if (typeof wrapped.config.path === 'string') def.routePattern = wrapped.config.path;
          await triggerOf(wrapped.triggerType).configure(app, wrapped.config);
        } catch (err) {
          throw located(err, ['pipelines', pname, 'trigger'], `pipeline ${pname} trigger`, 'configure failed', loaded);
        }
      }
      if (builder.issues.length > 0) throw new ConfigError(builder.issues.splice(0));
      // --- wiring hooks, higher priority first
      for (const hook of catalog.wiringHooks) {
        try {
          await hook.run(app);
        } catch (err) {
          throw located(err, [], `wiring hook ${hook.name} (plugin ${hook.plugin})`, 'failed', loaded);
        }
      }
    } catch (err) {
      await engine.stopModules(built);
      throw err;
    }
    return engine;
  }

  get state(): EngineState {
    return this._state;
  }

  async start(): Promise<void> {
    if (this._state !== 'built') throw new Error(`app "${this.name}" cannot start from state ${this._state}`);
    this._state = 'starting';
    try {
      for (const b of this.modules) {
        this.started.push(b);
        try {
          await b.module.start?.(this.app);
        } catch (err) {
          throw new Error(`module ${b.module.name} (${b.module.type}) failed to start: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      for (const [type, trigger] of this.triggers) {
        try {
          await trigger.start?.(this.app);
        } catch (err) {
          throw new Error(`trigger ${type} failed to start: ${(err as Error).message}`, { cause: err });
        }
      }
      this._state = 'running';
      this.logger.info(
        { component: 'engine', modules: this.modules.length, pipelines: this.runner.pipelineNames().length },
        'app started',
      );
    } catch (err) {
      this._state = 'failed';
      await this.shutdown(1000);
      throw err;
    }
  }

  /** Graceful stop: drain (bounded), stop triggers, stop modules in reverse. Idempotent. */
  stop(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts.drainTimeoutMs ?? 10_000).then(() => {
      this._state = 'stopped';
    });
    return this.stopping;
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    if (this._state !== 'failed') this._state = 'stopping';
    const deadline = Date.now() + drainTimeoutMs;
    const drains = this.modules.map(async (b) => {
      try {
        await b.module.drain?.(this.app, drainTimeoutMs);
      } catch (err) {
        this.logger.warn({ component: 'engine', module: b.module.name, err: (err as Error).message }, 'drain failed');
      }
    });
    await Promise.race([Promise.all(drains), sleep(Math.max(0, deadline - Date.now()) + 250)]);
    for (const [type, trigger] of [...this.triggers].reverse()) {
      try {
        await trigger.stop?.(this.app);
      } catch (err) {
        this.logger.warn({ component: 'engine', trigger: type, err: (err as Error).message }, 'trigger stop failed');
      }
    }
    await this.stopModules(this.modules);
    this.events.removeAll();
  }

  private async stopModules(modules: BuiltModule[]): Promise<void> {
    for (const b of [...modules].reverse()) {
      try {
        await b.module.stop?.(this.app);
      } catch (err) {
        this.logger.warn(
          { component: 'engine', module: b.module.name, err: (err as Error).message },
          'module stop failed',
        );
      }
    }
  }

  /** Bound address of the first http.server (after start; port 0 resolves to the real port). */
  address(): { host: string; port: number; bindAddress?: string } | undefined {
    return this.addresses()[0];
  }

  addresses(): Array<{ module: string; host: string; port: number; bindAddress?: string }> {
    const out: Array<{ module: string; host: string; port: number; bindAddress?: string }> = [];
    for (const b of this.modules) {
      if (!HttpServerCap.is(b.module)) continue;
      const a = b.module.address();
      if (a) out.push({ module: b.module.name, ...a });
    }
    return out;
  }

  executePipeline(name: string, data: ConfigMap = {}, opts?: TriggerOptions): Promise<ConfigMap> {
    return this.runner.executePipeline(name, data, opts);
  }

  triggerWorkflow(
    workflowType: string,
    action: string,
    data: ConfigMap = {},
    opts?: TriggerOptions,
  ): Promise<ConfigMap> {
    return this.runner.triggerWorkflow(workflowType, action, data, opts);
  }

  pipelineNames(): string[] {
    return this.runner.pipelineNames();
  }

  moduleInfo(): ModuleInfo[] {
    const cfgs = this.app.config.modules ?? [];
    return this.modules.map((b) => ({
      name: b.module.name,
      type: b.module.type,
      dependsOn: cfgs[b.index]?.dependsOn ?? [],
    }));
  }
}

/**
 * Run the plugins' config transform hooks, higher priority first (upstream runs them before module
 * registration). A hook's ConfigValueError is located from the config root.
 */
function applyConfigTransforms(
  catalog: PluginCatalog,
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
): {
  config: WorkflowConfig;
  configLookup?: (key: string) => string | undefined;
  hookServices: Record<string, unknown>;
} {
  let config = loaded.config;
  let configLookup: ((key: string) => string | undefined) | undefined;
  const hookServices: Record<string, unknown> = {};
  for (const hook of catalog.configTransformHooks) {
    let result: ConfigTransformResult | undefined;
    try {
      result = hook.transform(config, { env });
    } catch (err) {
      throw located(err, [], `config transform ${hook.name} (plugin ${hook.plugin})`, 'failed', loaded);
    }
    if (!result) continue;
    config = result.config;
    configLookup = result.configLookup ?? configLookup;
    Object.assign(hookServices, result.services);
  }
  return { config, configLookup, hookServices };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function hashConfig(config: WorkflowConfig): string {
  return 'sha256:' + createHash('sha256').update(toYaml(config)).digest('hex');
}

/**
 * Turn a failure during build into a located ConfigError. A ConfigValueError's path is relative to
 * `configPath` (a module's `config` map), else to `path`.
 */
function located(
  err: unknown,
  path: ConfigPath,
  where: string,
  what: string,
  loaded: LoadedConfig,
  configPath: ConfigPath = path,
): Error {
  if (err instanceof ConfigError) return err;
  const full = err instanceof ConfigValueError ? [...configPath, ...err.path] : path;
  const message = err instanceof ConfigValueError ? err.message : `${what}: ${(err as Error)?.message ?? String(err)}`;
  const hint = err instanceof ConfigValueError ? err.hint : undefined;
  return new ConfigError([
    { ...loaded.locate(full), where, jsonPath: formatJsonPath(full), message, ...(hint ? { hint } : {}) },
  ]);
}
