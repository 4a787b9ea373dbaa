// A minimal AppContext and lifecycle for unit-testing the data/state plugins without the real
// engine: modules are built by the plugins' own factories, registered under their names, inited,
// started and stopped; pipelines run their steps in order with the upstream Current/stop/goto rules.
// Behavioural tests that matter for users go through the real engine (test/plugins-*.test.ts).
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type {
  AppContext, ConfigMap, EngineEvents, EnginePlugin, Logger, Module, PipelineContext, Step, StepBuildContext,
  StepConfig, Trigger, TriggerOptions, WorkflowConfig, WorkflowHandler, WorkflowRunner,
} from '../../engine/index.ts';
import { MapServiceRegistry } from './service-registry.ts';
import { miniTemplates } from './mini-templates.ts';

export interface TestAppOptions {
  plugins: EnginePlugin[];
  config?: WorkflowConfig;
  /** Directory relative module paths resolve against; a fresh temp dir when omitted. */
  configDir?: string;
  dataDir?: string;
  logger?: Logger;
}

export class TestApp implements AppContext {
  readonly appName: string;
  readonly configDir: string;
  readonly dataDir: string;
  readonly config: WorkflowConfig;
  readonly services = new MapServiceRegistry();
  readonly logger: Logger;
  readonly events: EngineEvents;
  readonly templates = miniTemplates;
  readonly workflows: WorkflowRunner;
  readonly modules: Module[] = [];
  private readonly plugins: EnginePlugin[];
  private readonly pipelines = new Map<string, Step[]>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly handlers: WorkflowHandler[] = [];
  private readonly ownedDirs: string[] = [];

  constructor(opts: TestAppOptions) {
    this.plugins = opts.plugins;
    this.config = opts.config ?? {};
    this.appName = this.config.name ?? 'test-app';
    this.configDir = opts.configDir ?? this.tempDir('wf-config-');
    this.dataDir = opts.dataDir ?? this.tempDir('wf-data-');
    this.logger = opts.logger ?? pino({ level: process.env.WF_TEST_LOG ?? 'silent' });
    const emitter = new EventEmitter();
    this.events = {
      on: (e, l) => void emitter.on(e, l),
      off: (e, l) => void emitter.off(e, l),
      emit: (e, p) => void emitter.emit(e, p),
    };
    for (const plugin of this.plugins) {
      for (const factory of Object.values(plugin.workflowHandlers ?? {})) this.handlers.push(factory());
    }
    this.workflows = {
      triggerWorkflow: (type, action, data, o) => this.triggerWorkflow(type, action, data, o),
      executePipeline: (name, data, o) => this.executePipeline(name, data, o),
      hasPipeline: (name) => this.pipelines.has(name),
    };
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.ownedDirs.push(dir);
    return dir;
  }

  /** Build, register and init every module of the config, then wire workflows, triggers, pipelines. */
  async build(): Promise<this> {
    for (const mc of this.config.modules ?? []) {
      const factory = this.findIn((p) => p.modules?.[mc.type]);
      if (!factory) throw new Error(`unknown module type "${mc.type}" (module "${mc.name}")`);
      const config = { ...(mc.config ?? {}), _config_dir: this.configDir };
      const mod = factory({ name: mc.name, type: mc.type, config, dependsOn: mc.dependsOn ?? [] }, this);
      this.services.register(mc.name, mod);
      this.modules.push(mod);
    }
    for (const mod of this.modules) await mod.init?.(this);
    for (const [type, section] of Object.entries(this.config.workflows ?? {})) {
      const handler = this.handlers.find((h) => h.canHandle(type));
      if (!handler) throw new Error(`no handler found for workflow type "${type}"`);
      await handler.configure(this, type, section);
    }
    for (const [type, section] of Object.entries(this.config.triggers ?? {})) {
      await this.trigger(type).configure(this, section as ConfigMap);
    }
    for (const [name, pipeline] of Object.entries(this.config.pipelines ?? {})) {
      this.addPipeline(name, this.buildSteps(name, pipeline.steps ?? []));
      if (pipeline.trigger) {
        const wrap = this.findIn((p) => p.pipelineTriggerWrappers?.[pipeline.trigger!.type]);
        if (!wrap) throw new Error(`no pipeline trigger wrapper for "${pipeline.trigger.type}"`);
        const { triggerType, config } = wrap(name, pipeline.trigger.config ?? {});
        await this.trigger(triggerType).configure(this, config);
      }
    }
    const hooks = this.plugins.flatMap((p) => p.wiringHooks ?? []).sort((a, b) => b.priority - a.priority);
    for (const hook of hooks) await hook.run(this);
    return this;
  }

  async start(): Promise<this> {
    for (const mod of this.modules) await mod.start?.(this);
    for (const trigger of this.triggers.values()) await trigger.start?.(this);
    return this;
  }

  /** Stop triggers, then modules in reverse, then remove the temp dirs this app created. */
  async stop(): Promise<void> {
    for (const trigger of [...this.triggers.values()].reverse()) await trigger.stop?.(this);
    for (const mod of [...this.modules].reverse()) await mod.stop?.(this);
    for (const dir of this.ownedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  addPipeline(name: string, steps: Step[]): void {
    this.pipelines.set(name, steps);
  }

  buildSteps(pipeline: string, specs: StepConfig[]): Step[] {
    const ctx: StepBuildContext = Object.assign(Object.create(this) as TestApp, {
      buildSteps: (nested: unknown[]) => this.buildSteps(pipeline, nested as StepConfig[]),
    });
    return specs.map((s) => {
      const factory = this.findIn((p) => p.steps?.[s.type]);
      if (!factory) throw new Error(`unknown step type "${s.type}" (step "${s.name}")`);
      return factory({ name: s.name, type: s.type, config: s.config ?? {}, pipeline }, ctx);
    });
  }

  /** A fresh pipeline context for calling one step's execute directly. */
  context(data: ConfigMap = {}, pipelineName = 'test'): PipelineContext {
    return {
      triggerData: structuredClone(data),
      stepOutputs: {},
      current: { ...data },
      metadata: { pipeline: pipelineName },
      signal: new AbortController().signal,
      pipelineName,
      logger: this.logger,
    };
  }

  async executePipeline(name: string, data: ConfigMap, opts: TriggerOptions = {}): Promise<ConfigMap> {
    const steps = this.pipelines.get(name);
    if (!steps) throw new Error(`pipeline "${name}" not found`);
    const ctx = { ...this.context(data, name), http: opts.http };
    for (let i = 0; i < steps.length; i++) {
      const result = await steps[i].execute(ctx);
      const output = result.output ?? {};
      ctx.stepOutputs[steps[i].name] = output;
      Object.assign(ctx.current, output);
      if (result.stop) break;
      if (result.nextStep) {
        const target = steps.findIndex((s) => s.name === result.nextStep);
        if (target === -1) throw new Error(`step "${result.nextStep}" not found`);
        i = target - 1;
      }
    }
    return (ctx.metadata._pipeline_output as ConfigMap | undefined) ?? ctx.current;
  }

  async triggerWorkflow(type: string, action: string, data: ConfigMap, opts?: TriggerOptions): Promise<ConfigMap> {
    if (type.startsWith('pipeline:')) return this.executePipeline(type.slice('pipeline:'.length), data, opts);
    const handler = this.handlers.find((h) => h.canHandle(type));
    if (!handler) throw new Error(`no handler found for workflow type "${type}"`);
    return handler.execute(this, type, action, data, opts);
  }

  private trigger(type: string): Trigger {
    let trigger = this.triggers.get(type);
    if (!trigger) {
      const factory = this.findIn((p) => p.triggers?.[type]);
      if (!factory) throw new Error(`unknown trigger type "${type}"`);
      trigger = factory();
      this.triggers.set(type, trigger);
    }
    return trigger;
  }

  private findIn<T>(pick: (p: EnginePlugin) => T | undefined): T | undefined {
    for (const plugin of this.plugins) {
      const found = pick(plugin);
      if (found) return found;
    }
    return undefined;
  }
}

/** Build and start an app in one call; remember to `await app.stop()` (use t.after). */
export async function startTestApp(opts: TestAppOptions): Promise<TestApp> {
  const app = new TestApp(opts);
  await app.build();
  return app.start();
}
