// Unit-test harness for plugins: the real engine (Engine.fromConfig) over a config object, with the
// given plugins, in throwaway config and data directories. `halt()` stops the app but keeps the
// directories, so a second TestApp on the same dirs is a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Engine,
  silentLogger,
  type AppContext,
  type ConfigMap,
  type EnginePlugin,
  type ServiceRegistry,
  type WorkflowConfig,
} from '../../engine/index.ts';

export interface TestAppOptions {
  plugins: EnginePlugin[];
  config?: WorkflowConfig;
  /** Directory relative module paths resolve against; a fresh temp dir when omitted. */
  configDir?: string;
  dataDir?: string;
}

export class TestApp {
  readonly configDir: string;
  readonly dataDir: string;
  private readonly ownedDirs: string[] = [];
  private engine?: Engine;

  constructor(private readonly opts: TestAppOptions) {
    this.configDir = opts.configDir ?? this.tempDir('wf-config-');
    this.dataDir = opts.dataDir ?? this.tempDir('wf-data-');
  }

  /** Validate, build and init (throws the engine's ConfigError with located issues). */
  async build(): Promise<this> {
    try {
      this.engine = await Engine.fromConfig(this.opts.config ?? {}, {
        plugins: this.opts.plugins,
        configDir: this.configDir,
        dataDir: this.dataDir,
        logger: silentLogger(),
      });
    } catch (err) {
      // a TestApp whose config is refused is never started or stopped: drop its directories now
      this.removeOwnedDirs();
      throw err;
    }
    return this;
  }

  async start(): Promise<this> {
    await this.running().start();
    return this;
  }

  /** Stop the app, keeping its directories (for a restart on the same data). */
  async halt(): Promise<void> {
    await this.engine?.stop({ drainTimeoutMs: 200 });
  }

  /** Stop the app and remove the directories this TestApp created. */
  async stop(): Promise<void> {
    await this.halt();
    this.removeOwnedDirs();
  }

  private removeOwnedDirs(): void {
    for (const dir of this.ownedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  get app(): AppContext {
    return this.running().app;
  }

  get services(): ServiceRegistry {
    return this.app.services;
  }

  executePipeline(name: string, data: ConfigMap = {}): Promise<ConfigMap> {
    return this.running().executePipeline(name, data);
  }

  triggerWorkflow(type: string, action: string, data: ConfigMap = {}): Promise<ConfigMap> {
    return this.running().triggerWorkflow(type, action, data);
  }

  private running(): Engine {
    if (!this.engine) throw new Error('TestApp: call build() first');
    return this.engine;
  }

  private tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.ownedDirs.push(dir);
    return dir;
  }
}

/** Build and start an app in one call; remember `t.after(() => app.stop())`. */
export async function startTestApp(opts: TestAppOptions): Promise<TestApp> {
  const app = new TestApp(opts);
  try {
    await app.build();
    return await app.start();
  } catch (err) {
    await app.stop();
    throw err;
  }
}
