// TriggerWorkflow for one app: `pipeline:<name>` runs a registered pipeline; any other workflow
// type goes to the first workflow handler whose canHandle matches (UPSTREAM.md 1.7).
import { ConfigError } from './config-issue.ts';
import type {
  AppContext,
  ConfigMap,
  ConfigPath,
  ExecutionRecorder,
  PipelineConfig,
  PipelineContext,
  TriggerOptions,
  WorkflowHandler,
  WorkflowRunner,
} from './contract.ts';
import type { AppEvents } from './engine-events.ts';
import { executePipeline, type PipelineDefinition } from './pipeline.ts';
import type { StepBuilder } from './step-builder.ts';

export class NoHandlerError extends Error {
  constructor(workflowType: string) {
    super(`no handler found for workflow type "${workflowType}"`);
    this.name = 'NoHandlerError';
  }
}

export class UnknownPipelineError extends Error {
  constructor(name: string, known: string[]) {
    super(
      `no pipeline named ` +
        `"${name}"` +
        `${known.length ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})` : ''}`,
    );
    this.name = 'UnknownPipelineError';
  }
}

const PIPELINE_PREFIX = 'pipeline:';

export class AppWorkflowRunner implements WorkflowRunner {
  private readonly pipelines = new Map<string, PipelineDefinition>();
  handlers: Array<{ type: string; handler: WorkflowHandler }> = [];
  /** Set once the app context exists (the runner is part of it). */
  app!: AppContext;
  /** The app's execution recorder (eventstore.service), found after module init. */
  recorder?: ExecutionRecorder;

  constructor(
    private readonly builder: StepBuilder,
    private readonly events: AppEvents,
  ) {}

  register(def: PipelineDefinition): void {
    if (this.pipelines.has(def.name)) throw new Error(`pipeline "${def.name}" is defined twice`);
    this.pipelines.set(def.name, def);
  }

  definition(name: string): PipelineDefinition | undefined {
    return this.pipelines.get(name);
  }

  pipelineNames(): string[] {
    return [...this.pipelines.keys()];
  }

  hasPipeline(name: string): boolean {
    return this.pipelines.has(name);
  }

  definePipeline(
    name: string,
    config: PipelineConfig,
    opts: { routePattern?: string; configPath?: ConfigPath } = {},
  ): void {
    const before = this.builder.issues.length;
    const def = this.builder.buildPipeline(name, config, opts.configPath ?? ['pipelines', name], opts.routePattern);
    if (!def) throw new ConfigError(this.builder.issues.splice(before));
    this.register(def);
  }

  /** Run a pipeline and return its full context (used by triggers that need Current + metadata). */
  run(name: string, data: ConfigMap, opts: TriggerOptions = {}): Promise<PipelineContext> {
    const def = this.pipelines.get(name);
    if (!def) return Promise.reject(new UnknownPipelineError(name, this.pipelineNames()));
    const http = opts.http;
    // "GET /items/{id}" -> "/items/{id}"
    const routePattern = http ? http.routePattern.slice(http.routePattern.indexOf(' ') + 1) : undefined;
    return executePipeline(def, data, { http, signal: opts.signal, routePattern, recorder: this.recorder });
  }

  async executePipeline(name: string, data: ConfigMap, opts?: TriggerOptions): Promise<ConfigMap> {
    const pc = await this.tracked(`${PIPELINE_PREFIX}${name}`, 'execute', () => this.run(name, data, opts));
    const out = pc.metadata._pipeline_output;
    return out !== undefined && out !== null && typeof out === 'object' ? (out as ConfigMap) : pc.current;
  }

  async triggerWorkflow(
    workflowType: string,
    action: string,
    data: ConfigMap,
    opts?: TriggerOptions,
  ): Promise<ConfigMap> {
    if (workflowType.startsWith(PIPELINE_PREFIX)) {
      const name = workflowType.slice(PIPELINE_PREFIX.length);
      const pc = await this.tracked(workflowType, action, () => this.run(name, data, opts));
      // Current plus the pipeline output, which the HTTP trigger answers with when nothing was written
      const out = pc.metadata._pipeline_output;
      return out === undefined ? pc.current : { ...pc.current, _pipeline_output: out };
    }
    const entry = this.handlers.find((h) => h.handler.canHandle(workflowType));
    if (!entry) throw new NoHandlerError(workflowType);
    return this.tracked(workflowType, action, () => entry.handler.execute(this.app, workflowType, action, data, opts));
  }

  /** Emits workflow.started/completed/failed (metrics listen) only when someone listens. */
  private tracked<T>(workflowType: string, action: string, fn: () => Promise<T>): Promise<T> {
    const events = this.events;
    const listening =
      events.has('workflow.completed') || events.has('workflow.failed') || events.has('workflow.started');
    return listening ? this.emitting(workflowType, action, fn) : fn();
  }

  private async emitting<T>(workflowType: string, action: string, fn: () => Promise<T>): Promise<T> {
    const events = this.events;
    const started = performance.now();
    events.emit('workflow.started', { workflowType, action });
    try {
      const result = await fn();
      events.emit('workflow.completed', { workflowType, action, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      events.emit('workflow.failed', {
        workflowType,
        action,
        durationMs: performance.now() - started,
        error: (err as Error).message,
      });
      throw err;
    }
  }
}
