// Several workflow apps (tenants) in one process (upstream WorkflowEngineManager, UPSTREAM.md 8):
// each app is a separate Engine with its own service registry, events, data directory and logger,
// so module names never collide across apps; each is deployed, stopped and reloaded on its own.
import { join, resolve } from 'node:path';
import { ConfigError } from './config-issue.ts';
import type { EnginePlugin, Logger, TriggerOptions, WorkflowConfig, ConfigMap } from './contract.ts';
import { Engine } from './engine.ts';
import { createLogger } from './logger.ts';

/** Upstream ModuleNamespace name rule, used for app ids. */
const APP_ID = /^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

export type AppSource =
  | { file: string }
  | { text: string; file?: string; baseDir?: string }
  | { config: WorkflowConfig; configDir?: string };

export interface DeployOptions {
  /** Listen address for the app's first http.server (e.g. "127.0.0.1:0"). */
  httpAddress?: string;
  env?: Record<string, string | undefined>;
}

export interface ManagedAppStatus {
  id: string;
  status: 'running' | 'stopped' | 'error';
  startedAt?: string;
  uptimeMs?: number;
  error?: string;
  /** Module names qualified by app id (`<id>/<module>`): the namespaced view of an app. */
  modules: string[];
  addresses: Array<{ module: string; host: string; port: number }>;
  configHash?: string;
}

interface Managed {
  id: string;
  source: AppSource;
  options: DeployOptions;
  engine?: Engine;
  status: ManagedAppStatus['status'];
  startedAt?: Date;
  error?: string;
  /** Serializes operations on one app. */
  queue: Promise<unknown>;
}

export interface EngineManagerOptions {
  plugins: readonly EnginePlugin[];
  logger?: Logger;
  /** Each app gets `<dataDir>/<id>`. */
  dataDir?: string;
}

export class EngineManager {
  private readonly apps = new Map<string, Managed>();
  private readonly logger: Logger;
  private readonly dataDir: string;

  constructor(private readonly opts: EngineManagerOptions) {
    this.logger = opts.logger ?? createLogger();
    this.dataDir = resolve(opts.dataDir ?? process.env.WORKFLOW_DATA_DIR ?? 'data');
  }

  private serialize<T>(app: Managed, op: () => Promise<T>): Promise<T> {
    const next = app.queue.then(op, op);
    app.queue = next.catch(() => undefined);
    return next;
  }

  /** Build and start an app. Fails if an app with this id is running. */
  deploy(id: string, source: AppSource, options: DeployOptions = {}): Promise<ManagedAppStatus> {
    if (!APP_ID.test(id))
      return Promise.reject(
        new Error(
          `invalid app id "${id}": use letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
        ),
      );
    let app = this.apps.get(id);
    if (!app) {
      app = { id, source, options, status: 'stopped', queue: Promise.resolve() };
      this.apps.set(id, app);
    }
    const managed = app;
    return this.serialize(managed, async () => {
      if (managed.status === 'running') throw new Error(`app "${id}" is already running; stop or reload it first`);
      managed.source = source;
      managed.options = options;
      await this.startApp(managed);
      return this.statusOf(managed);
    });
  }

  private async startApp(app: Managed): Promise<void> {
    const logger = this.logger.child({ tenant: app.id });
    const common = {
      plugins: this.opts.plugins,
      logger,
      appName: app.id,
      dataDir: join(this.dataDir, app.id),
      httpAddress: app.options.httpAddress,
      env: app.options.env,
    };
    let engine: Engine | undefined;
    try {
      const s = app.source;
      if ('file' in s && !('text' in s)) engine = await Engine.fromFile(s.file, common);
      else if ('text' in s) engine = await Engine.fromText(s.text, { ...common, file: s.file, baseDir: s.baseDir });
      else engine = await Engine.fromConfig(s.config, { ...common, configDir: s.configDir });
      await engine.start();
      app.engine = engine;
      app.status = 'running';
      app.startedAt = new Date();
      app.error = undefined;
      logger.info({ component: 'engine-manager' }, 'app deployed');
    } catch (err) {
      app.engine = undefined;
      app.status = 'error';
      app.error = err instanceof ConfigError ? err.message : (err as Error).message;
      logger.error({ component: 'engine-manager', err: app.error }, 'app failed to deploy');
      throw err;
    }
  }

  /** Stop one app (graceful); other apps keep running. */
  stop(id: string, opts: { drainTimeoutMs?: number } = {}): Promise<ManagedAppStatus> {
    const app = this.require(id);
    return this.serialize(app, async () => {
      if (app.engine) await app.engine.stop(opts);
      app.engine = undefined;
      if (app.status !== 'error') app.status = 'stopped';
      return this.statusOf(app);
    });
  }

  /** Stop (if running) and deploy again, optionally from a new source. */
  reload(id: string, source?: AppSource, options?: DeployOptions): Promise<ManagedAppStatus> {
    const app = this.require(id);
    return this.serialize(app, async () => {
      if (app.engine) await app.engine.stop();
      app.engine = undefined;
      app.status = 'stopped';
      if (source) app.source = source;
      if (options) app.options = options;
      await this.startApp(app);
      return this.statusOf(app);
    });
  }

  /** Stop and forget an app. */
  async remove(id: string): Promise<void> {
    await this.stop(id);
    this.apps.delete(id);
  }

  get(id: string): Engine | undefined {
    return this.apps.get(id)?.engine;
  }

  status(id: string): ManagedAppStatus {
    return this.statusOf(this.require(id));
  }

  list(): ManagedAppStatus[] {
    return [...this.apps.values()].map((a) => this.statusOf(a));
  }

  async stopAll(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    await Promise.all([...this.apps.keys()].map((id) => this.stop(id, opts).catch(() => undefined)));
  }

  triggerWorkflow(
    id: string,
    workflowType: string,
    action: string,
    data: ConfigMap = {},
    opts?: TriggerOptions,
  ): Promise<ConfigMap> {
    return this.running(id).triggerWorkflow(workflowType, action, data, opts);
  }

  executePipeline(id: string, name: string, data: ConfigMap = {}, opts?: TriggerOptions): Promise<ConfigMap> {
    return this.running(id).executePipeline(name, data, opts);
  }

  private running(id: string): Engine {
    const engine = this.require(id).engine;
    if (!engine) throw new Error(`app "${id}" is not running`);
    return engine;
  }

  private require(id: string): Managed {
    const app = this.apps.get(id);
    if (!app) throw new Error(`no app "${id}"${this.apps.size ? ` (apps: ${[...this.apps.keys()].join(', ')})` : ''}`);
    return app;
  }

  private statusOf(app: Managed): ManagedAppStatus {
    const e = app.engine;
    return {
      id: app.id,
      status: app.status,
      ...(app.startedAt && app.status === 'running'
        ? { startedAt: app.startedAt.toISOString(), uptimeMs: Date.now() - app.startedAt.getTime() }
        : {}),
      ...(app.error ? { error: app.error } : {}),
      modules: e ? e.moduleInfo().map((m) => `${app.id}/${m.name}`) : [],
      addresses: e ? e.addresses() : [],
      ...(e ? { configHash: e.configHash } : {}),
    };
  }
}
