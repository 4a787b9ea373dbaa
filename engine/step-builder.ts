// Builds steps and pipelines from config through the plugin step factories. Factory errors become
// located config issues (a ConfigValueError's path is relative to the step's `config`).
import { formatJsonPath, type ConfigIssue } from './config-issue.ts';
import {
  ConfigValueError,
  ValidationError,
  type AppContext,
  type ConfigMap,
  type ConfigPath,
  type Logger,
  type PipelineConfig,
  type Step,
  type StepBuildContext,
} from './contract.ts';
import { parseDuration } from './duration.ts';
import type { ErrorStrategy, PipelineDefinition, PreparedStep } from './pipeline.ts';
import type { PluginCatalog } from './plugin-catalog.ts';
import type { SourceLocation } from './source-map.ts';
import { guardTruthy, type TemplateEngine } from './template/index.ts';
import { inlineConfig } from './validate/index.ts';

type Map_ = Record<string, unknown>;
const isMap = (v: unknown): v is Map_ => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface StepBuilderDeps {
  catalog: PluginCatalog;
  app: AppContext;
  templates: TemplateEngine;
  locate: (path: ConfigPath) => SourceLocation;
  /** Directory of the file that defined a config node (for `_config_dir`). */
  dirOf: (node: unknown) => string;
  logger: Logger;
}

export class StepBuilder {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly deps: StepBuilderDeps) {}

  private issue(path: ConfigPath, where: string, message: string, hint?: string): void {
    this.issues.push({
      ...this.deps.locate(path),
      where,
      jsonPath: formatJsonPath(path),
      message,
      ...(hint ? { hint } : {}),
    });
  }

  /** Build a pipeline; returns undefined (with issues recorded) when any step cannot be built. */
  buildPipeline(
    name: string,
    config: PipelineConfig,
    path: ConfigPath,
    routePattern?: string,
  ): PipelineDefinition | undefined {
    const before = this.issues.length;
    const where = `pipeline ${name}`;
    const steps = this.prepareSteps(config.steps ?? [], [...path, 'steps'], name, where);
    const compensation = this.prepareSteps(
      config.compensation ?? [],
      [...path, 'compensation'],
      name,
      `${where} compensation`,
    );
    let timeoutMs: number | undefined;
    if (config.timeout !== undefined) {
      try {
        timeoutMs = parseDuration(config.timeout);
      } catch (err) {
        this.issue([...path, 'timeout'], where, (err as Error).message);
      }
    }
    // any other on_error means stop, as upstream (the validator reports it; strict refuses it)
    const onError: ErrorStrategy =
      config.on_error === 'skip' || config.on_error === 'compensate' ? config.on_error : 'stop';
    if (this.issues.length > before) return undefined;
    return {
      name,
      steps,
      compensation,
      onError,
      timeoutMs,
      strictTemplates: config.strict_templates === true,
      routePattern,
      logger: this.deps.logger,
    };
  }

  prepareSteps(specs: unknown, path: ConfigPath, pipeline: string, where: string): PreparedStep[] {
    if (specs === null || specs === undefined) return [];
    if (!Array.isArray(specs)) {
      this.issue(path, where, 'steps must be a list of steps');
      return [];
    }
    const out: PreparedStep[] = [];
    specs.forEach((raw, i) => {
      const p = this.prepareStep(raw, [...path, i], pipeline, where);
      if (p) out.push(p);
    });
    return out;
  }

  private prepareStep(raw: unknown, path: ConfigPath, pipeline: string, whereBase: string): PreparedStep | undefined {
    if (!isMap(raw)) {
      this.issue(path, whereBase, 'a step must be a map with name and type');
      return undefined;
    }
    // a step without a name runs, its output kept under "" (upstream; the validator reports it)
    const name = typeof raw.name === 'string' ? raw.name : '';
    const type = typeof raw.type === 'string' ? raw.type : undefined;
    const where = `${whereBase} step ${name || '#' + String(path[path.length - 1])}`;
    if (!type) {
      this.issue(path, where, 'a step needs a type');
      return undefined;
    }
    const entry = this.deps.catalog.steps.get(type);
    if (!entry) {
      this.issue(
        [...path, 'type'],
        where,
        `unknown step type "${type}"`,
        'ensure the plugin that provides it is loaded',
      );
      return undefined;
    }
    const usesInline = raw.config === undefined;
    const config: ConfigMap = { ...(usesInline ? inlineConfig(raw) : isMap(raw.config) ? raw.config : {}) };
    config._config_dir = this.deps.dirOf(raw);
    const configPath: ConfigPath = usesInline ? path : [...path, 'config'];
    const ctx: StepBuildContext = Object.assign(Object.create(this.deps.app) as AppContext, {
      buildSteps: (specs: unknown[], nestedPath: ConfigPath): Step[] => {
        const full = [...configPath, ...nestedPath];
        return this.prepareSteps(specs, full, pipeline, where).map(asStep);
      },
    });
    let step: Step;
    const before = this.issues.length;
    try {
      step = entry.factory({ name, type, config, pipeline }, ctx);
    } catch (err) {
      if (err instanceof ConfigValueError) this.issue([...configPath, ...err.path], where, err.message, err.hint);
      else this.issue(path, where, `cannot build step: ${(err as Error).message}`);
      return undefined;
    }
    if (this.issues.length > before) return undefined;
    const prepared: PreparedStep = { step };
    try {
      if (typeof raw.skip_if === 'string')
        prepared.skipIf = this.deps.templates.compileString(raw.skip_if, [...path, 'skip_if']);
      if (typeof raw.if === 'string') prepared.if = this.deps.templates.compileString(raw.if, [...path, 'if']);
    } catch (err) {
      const e = err as ConfigValueError;
      this.issue(e.path ?? path, where, e.message, e.hint);
      return undefined;
    }
    if (typeof raw.error_status === 'number') prepared.errorStatus = raw.error_status;
    if (raw.on_error === 'stop' || raw.on_error === 'skip' || raw.on_error === 'compensate')
      prepared.onError = raw.on_error;
    if (raw.timeout !== undefined) {
      try {
        prepared.timeoutMs = parseDuration(raw.timeout);
      } catch {
        // not applied (upstream never reads a step's timeout; the validator reports it)
      }
    }
    return prepared;
  }
}

/** A nested prepared step as a plain Step: guards skip it (empty output), error_status applies. */
export function asStep(p: PreparedStep): Step {
  if (!p.skipIf && !p.if && !p.errorStatus) return p.step;
  return {
    name: p.step.name,
    type: p.step.type,
    async execute(ctx) {
      if (p.skipIf && guardTruthy(p.skipIf.render(ctx))) return { output: {} };
      if (p.if && !guardTruthy(p.if.render(ctx))) return { output: {} };
      try {
        return await p.step.execute(ctx);
      } catch (err) {
        if (p.errorStatus) throw new ValidationError((err as Error).message, p.errorStatus);
        throw err;
      }
    },
  };
}
