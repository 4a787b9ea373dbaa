// Config validation: the JSON Schema (shape) plus the upstream rules (unique names, known types,
// dependsOn targets and cycles, required keys per type schema, snake_case hints, known workflow and
// trigger types, step checks, template syntax, template step references, `requires`, entry points).
// Pure over a loaded config and a plugin catalog; every issue carries file:line:column.
import { checkWorkflowConfigShape } from '../schema/index.ts';
import { formatJsonPath, type ConfigIssue, type ValidationResult } from './config-issue.ts';
import { readConfigFile, readConfigText, type LoadedConfig } from './config-loader.ts';
import type { ConfigPath, EnginePlugin, TypeSchema } from './contract.ts';
import { parseDuration } from './duration.ts';
import { expandConfig } from './env-expansion.ts';
import { orderModules } from './module-order.ts';
import { PluginCatalog } from './plugin-catalog.ts';
import { TemplateEngine } from './template/index.ts';
import { checkConstraint } from './version-constraint.ts';

export interface ValidateOptions {
  plugins: readonly EnginePlugin[];
  /** Environment for `${VAR}` in module config (default process.env). */
  env?: Record<string, string | undefined>;
  /** Skip the "no entry points" warning (embeddable sub-workflows). */
  allowNoEntryPoints?: boolean;
}

type Map_ = Record<string, unknown>;
const isMap = (v: unknown): v is Map_ => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const MODULE_KEYS = new Set([
  'name',
  'type',
  'config',
  'dependsOn',
  'satisfies',
  'protected',
  'branches',
  'environments',
]);
const STEP_KEYS = new Set(['name', 'type', 'config', 'skip_if', 'if', 'error_status', 'on_error', 'timeout']);
const KEY_SPELLINGS: Record<string, string> = {
  depends_on: 'dependsOn',
  dependson: 'dependsOn',
  depends: 'dependsOn',
  skipIf: 'skip_if',
  onError: 'on_error',
  errorStatus: 'error_status',
};

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function camelOf(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

class Collector {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  constructor(private readonly loaded: LoadedConfig) {}

  private make(
    path: ConfigPath,
    where: string,
    message: string,
    hint: string | undefined,
    atKey: boolean,
  ): ConfigIssue {
    const loc = atKey
      ? this.loaded.sourceMap.locateKey(this.loaded.config, path, this.loaded.file)
      : this.loaded.locate(path);
    return { ...loc, where, jsonPath: formatJsonPath(path), message, ...(hint ? { hint } : {}) };
  }

  error(path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.errors.push(this.make(path, where, message, hint, atKey));
  }

  /** An error upstream's engine starts with; `runTime` says what happens when the path runs. */
  runTimeError(runTime: string, path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.errors.push({ ...this.make(path, where, message, hint, atKey), runTime });
  }

  warn(path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.warnings.push(this.make(path, where, message, hint, atKey));
  }
}

/** Required keys, aliases and camelCase hints of a type schema; then the type's own checks. */
function checkTypeConfig(
  c: Collector,
  schema: TypeSchema | undefined,
  config: unknown,
  path: ConfigPath,
  where: string,
  extra?: { pipelineStepNames?: string[] },
  presenceOnly = false,
): void {
  if (!schema) return;
  const cfg = isMap(config) ? config : {};
  const known = new Set<string>();
  for (const field of schema.configFields) {
    known.add(field.key);
    for (const a of field.aliases ?? []) known.add(a);
    const present = [field.key, ...(field.aliases ?? [])].find((k) => cfg[k] !== undefined && cfg[k] !== null);
    if (presenceOnly && (present !== undefined || !field.required)) continue;
    if (!field.required) {
      const v = present === undefined ? undefined : cfg[present];
      if (field.type === 'select' && field.options && typeof v === 'string' && !field.options.includes(v)) {
        c.error([...path, present!], where, `"${field.key}" must be one of: ${field.options.join(', ')} (got "${v}")`);
      }
      continue;
    }
    if (present === undefined) {
      c.error(
        [...path, field.key],
        where,
        `required config key "${field.key}" is missing`,
        field.description ? `${field.key}: ${field.description}` : undefined,
      );
      continue;
    }
    const v = cfg[present];
    if (
      (field.type === 'string' || field.type === 'duration' || field.type === 'select' || field.type === 'filepath') &&
      v === ''
    ) {
      c.error([...path, present], where, `required config key "${field.key}" must be a non-empty string`);
    }
    if (field.type === 'select' && field.options && typeof v === 'string' && !field.options.includes(v)) {
      c.error([...path, present], where, `"${field.key}" must be one of: ${field.options.join(', ')} (got "${v}")`);
    }
  }
  for (const key of Object.keys(cfg)) {
    if (known.has(key) || key.startsWith('_')) continue;
    if (key.includes('_') && known.has(camelOf(key))) {
      c.warn(
        [...path, key],
        where,
        `config key "${key}" is snake_case; this type reads "${camelOf(key)}"`,
        `use camelCase: ${camelOf(key)}`,
        true,
      );
    }
  }
  if (schema.validate && !presenceOnly) {
    let problems: ReturnType<NonNullable<TypeSchema['validate']>> = [];
    try {
      problems = schema.validate(cfg, extra);
    } catch (err) {
      problems = [{ message: `config check failed: ${(err as Error).message}` }];
    }
    for (const p of problems) {
      const at = [...path, ...(p.path ?? [])];
      if (p.runTime) c.runTimeError(p.runTime, at, where, p.message, p.hint);
      else c.error(at, where, p.message, p.hint);
    }
  }
}

/** Every string in a step config (and guards) must be a valid template. */
function checkTemplates(
  c: Collector,
  templates: TemplateEngine,
  value: unknown,
  path: ConfigPath,
  where: string,
): void {
  if (typeof value === 'string') {
    const d = templates.check(value);
    // upstream parses a template when its step runs: the step fails then, not the load
    if (d.error)
      c.runTimeError(
        'the step fails when it runs',
        path,
        where,
        `template syntax error: ${d.error.message}`,
        `in ${JSON.stringify(value.length > 80 ? value.slice(0, 77) + '...' : value)}`,
      );
    for (const w of d.warnings) c.warn(path, where, `template: ${w.message}`, w.hint);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(c, templates, v, [...path, i], where));
  else if (isMap(value))
    for (const [k, v] of Object.entries(value)) checkTemplates(c, templates, v, [...path, k], where);
}

const STEP_REF = /\.steps\.([A-Za-z_][A-Za-z0-9_-]*)|\bstep\s+"([^"]+)"/g;

function collectStepRefs(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return;
    for (const m of value.matchAll(STEP_REF)) out.add((m[1] ?? m[2])!);
  } else if (Array.isArray(value)) value.forEach((v) => collectStepRefs(v, out));
  else if (isMap(value)) Object.values(value).forEach((v) => collectStepRefs(v, out));
}

/** A nested step list inside a step config (foreach `step`/`steps`, parallel `steps`, ...). */
function nestedStepLists(config: unknown): Array<{ key: string; steps: unknown[]; single: boolean }> {
  if (!isMap(config)) return [];
  const out: Array<{ key: string; steps: unknown[]; single: boolean }> = [];
  for (const [key, v] of Object.entries(config)) {
    const looksLikeStep = (x: unknown) => isMap(x) && typeof x.type === 'string' && x.type.startsWith('step.');
    if (Array.isArray(v) && v.length > 0 && v.every(looksLikeStep)) out.push({ key, steps: v, single: false });
    else if (looksLikeStep(v)) out.push({ key, steps: [v], single: true });
  }
  return out;
}

interface StepListContext {
  c: Collector;
  catalog: PluginCatalog;
  templates: TemplateEngine;
  refsMode: 'off' | 'warn' | 'error';
}

function checkStepList(
  ctx: StepListContext,
  steps: unknown,
  path: ConfigPath,
  whereBase: string,
  allNamesInScope: Set<string>,
): void {
  if (!Array.isArray(steps)) return;
  const { c, catalog, templates } = ctx;
  const seen = new Map<string, number>();
  const names = steps.map((s) => (isMap(s) && typeof s.name === 'string' ? s.name : undefined));
  steps.forEach((raw, i) => {
    const stepPath = [...path, i];
    if (!isMap(raw)) return;
    const name = typeof raw.name === 'string' ? raw.name : `#${i}`;
    const where = `${whereBase} step ${name}`;
    if (typeof raw.name === 'string') {
      // upstream runs both: the later one's output replaces the earlier's, and a jump goes to the later
      if (seen.has(raw.name))
        c.runTimeError(
          "both run: the later one's output replaces the earlier one's, and a jump goes to the later",
          [...stepPath, 'name'],
          where,
          `duplicate step name "${raw.name}" (first defined as step #${seen.get(raw.name)! + 1})`,
          'step names must be unique within a pipeline; outputs are read as .steps.<name>',
        );
      else seen.set(raw.name, i);
    }
    const type = raw.type;
    if (typeof type === 'string') {
      if (!catalog.steps.has(type)) {
        const near = suggest(type, catalog.steps.keys());
        const hint = catalog.modules.has(type)
          ? `${type} is a module type; declare it under modules: and refer to it by name from a step`
          : near
            ? `did you mean "${near}"?`
            : 'ensure the plugin that provides it is loaded (`wfctl schema` lists the known types)';
        c.error([...stepPath, 'type'], where, `unknown step type "${type}"`, hint);
      } else {
        checkTypeConfig(
          c,
          catalog.stepSchemas.get(type),
          raw.config ?? inlineConfig(raw),
          [...stepPath, 'config'],
          where,
          {
            pipelineStepNames: names.filter((n): n is string => n !== undefined),
          },
        );
      }
    }
    for (const key of Object.keys(raw)) {
      if (STEP_KEYS.has(key)) continue;
      if (KEY_SPELLINGS[key])
        c.warn([...stepPath, key], where, `unknown step key "${key}"`, `did you mean "${KEY_SPELLINGS[key]}"?`, true);
    }
    if (raw.timeout !== undefined) {
      try {
        parseDuration(raw.timeout);
      } catch (err) {
        // upstream never reads a step's timeout; here an unreadable one is not applied
        c.runTimeError('the step runs without a deadline', [...stepPath, 'timeout'], where, (err as Error).message);
      }
    }
    checkTemplates(c, templates, raw.config, [...stepPath, 'config'], where);
    for (const guard of ['skip_if', 'if'] as const)
      if (typeof raw[guard] === 'string') checkTemplates(c, templates, raw[guard], [...stepPath, guard], where);
    if (ctx.refsMode !== 'off') {
      const refs = new Set<string>();
      collectStepRefs(raw.config, refs);
      for (const ref of refs) {
        const idx = names.indexOf(ref);
        if (idx === -1 && !allNamesInScope.has(ref)) {
          const msg = `template refers to step "${ref}", which is not defined in this pipeline`;
          const near = suggest(
            ref,
            names.filter((n): n is string => n !== undefined),
          );
          if (ctx.refsMode === 'error')
            c.error([...stepPath, 'config'], where, msg, near ? `did you mean "${near}"?` : undefined);
          else c.warn([...stepPath, 'config'], where, msg, near ? `did you mean "${near}"?` : undefined);
        }
      }
    }
    for (const nested of nestedStepLists(raw.config ?? inlineConfig(raw))) {
      const nestedPath = raw.config !== undefined ? [...stepPath, 'config', nested.key] : [...stepPath, nested.key];
      checkStepList(ctx, nested.steps, nestedPath, where, allNamesInScope);
    }
  });
}

/** Steps nested inline (`- {name, type, values}`) carry their config at the top level. */
export function inlineConfig(step: Map_): Map_ {
  const out: Map_ = {};
  for (const [k, v] of Object.entries(step)) if (!STEP_KEYS.has(k)) out[k] = v;
  return out;
}

export function validateLoaded(loaded: LoadedConfig, opts: ValidateOptions): ValidationResult {
  const c = new Collector(loaded);
  c.errors.push(...loaded.issues);
  if (loaded.issues.length > 0) return { ok: false, errors: c.errors, warnings: c.warnings };
  let catalog: PluginCatalog;
  try {
    catalog = new PluginCatalog(opts.plugins);
  } catch (err) {
    c.errors.push({
      file: loaded.file,
      line: 1,
      column: 1,
      where: 'plugins',
      jsonPath: '',
      message: (err as Error).message,
    });
    return { ok: false, errors: c.errors, warnings: c.warnings };
  }
  const cfg = loaded.config as Map_;
  for (const p of checkWorkflowConfigShape(cfg)) {
    const hint =
      p.keyword === 'enum' && p.path.includes('on_error') ? 'use stop (default), skip or compensate' : undefined;
    const runTime = upstreamToleratedShape(p);
    if (runTime) c.runTimeError(runTime, p.path, describeWhere(cfg, p.path), p.message, hint);
    else c.error(p.path, describeWhere(cfg, p.path), p.message, hint, p.keyword === 'additionalProperties');
  }
  const templates = new TemplateEngine();
  const refsModeRaw =
    isMap(cfg.engine) && isMap(cfg.engine.validation) ? cfg.engine.validation.templateRefs : undefined;
  const refsMode = refsModeRaw === 'off' || refsModeRaw === 'error' ? refsModeRaw : 'warn';

  // --- modules
  const modules = asArray(cfg.modules);
  const firstByName = new Map<string, number>();
  modules.forEach((m, i) => {
    if (!isMap(m)) return;
    const name = typeof m.name === 'string' ? m.name : undefined;
    const where = `module ${name ?? `#${i}`}`;
    const type = typeof m.type === 'string' ? m.type : undefined;
    if (name !== undefined && !(type ?? '').startsWith('step.')) {
      if (firstByName.has(name)) {
        const first = loaded.locate(['modules', firstByName.get(name)!]);
        c.error(
          ['modules', i, 'name'],
          where,
          `duplicate module name "${name}" (first defined at ${first.file}:${first.line}:${first.column})`,
          'module names must be unique; rename one of them',
        );
      } else firstByName.set(name, i);
    }
    if (type !== undefined && !catalog.modules.has(type)) {
      let hint: string;
      if (type.startsWith('step.') && catalog.steps.has(type))
        hint = `${type} is a pipeline step type, not a module type; use it inside pipelines.<name>.steps`;
      else if (type.startsWith('step.')) hint = 'step types belong in pipelines.<name>.steps, not in modules';
      else {
        const near = suggest(type, catalog.modules.keys());
        hint = near
          ? `did you mean "${near}"?`
          : 'ensure the plugin that provides it is loaded (`wfctl schema` lists the known module types)';
      }
      c.error(['modules', i, 'type'], where, `unknown module type "${type}"`, hint);
    }
    for (const key of Object.keys(m)) {
      if (MODULE_KEYS.has(key)) continue;
      const near = KEY_SPELLINGS[key] ?? suggest(key, MODULE_KEYS);
      c.warn(
        ['modules', i, key],
        where,
        `unknown module key "${key}" is ignored`,
        near ? `did you mean "${near}"?` : 'module entries have name, type, config and dependsOn',
        true,
      );
    }
    if (type !== undefined && catalog.modules.has(type)) {
      // module config is checked as the engine will see it: ${VAR} expanded from the environment;
      // a reference that cannot be resolved here (set where the app runs) skips the value checks
      const expanded = isMap(m.config) ? expandConfig(m.config, { env: opts.env ?? process.env }) : m.config;
      const unresolved = expanded !== undefined && JSON.stringify(expanded).includes('${');
      checkTypeConfig(
        c,
        catalog.moduleSchemas.get(type),
        expanded,
        ['modules', i, 'config'],
        where,
        undefined,
        unresolved,
      );
    }
  });
  const names = new Set(firstByName.keys());
  modules.forEach((m, i) => {
    if (!isMap(m)) return;
    asArray(m.dependsOn).forEach((dep, j) => {
      if (typeof dep === 'string' && dep !== '' && !names.has(dep)) {
        const near = suggest(dep, names);
        c.error(
          ['modules', i, 'dependsOn', j],
          `module ${String(m.name)}`,
          `depends on undefined module "${dep}"`,
          near ? `did you mean "${near}"?` : 'dependsOn lists names of other modules in this config',
        );
      }
    });
  });
  const order = orderModules(
    modules.filter(isMap).map((m) => ({
      name: String(m.name),
      dependsOn: asArray(m.dependsOn).filter((d): d is string => typeof d === 'string'),
    })),
  );
  if (!order.ok) {
    const i = modules.findIndex((m) => isMap(m) && m.name === order.cycle[0]);
    c.error(
      ['modules', Math.max(0, i), 'dependsOn'],
      `module ${order.cycle[0]}`,
      `module dependsOn cycle: ${order.cycle.join(' -> ')}`,
      'remove one dependsOn entry in the cycle',
    );
  }

  // --- workflows and triggers
  const handlers = catalog.createWorkflowHandlers();
  if (isMap(cfg.workflows)) {
    for (const type of Object.keys(cfg.workflows)) {
      if (!catalog.handlesWorkflowType(type, handlers)) {
        const near = suggest(type, catalog.workflowHandlers.keys());
        c.error(
          ['workflows', type],
          `workflows.${type}`,
          `unknown workflow type "${type}": no workflow handler is loaded for it`,
          near
            ? `did you mean "${near}"?`
            : `known workflow types: ${[...catalog.workflowHandlers.keys()].join(', ') || '(none)'}`,
          true,
        );
      }
    }
    for (const [type, section] of Object.entries(cfg.workflows)) {
      if (!isMap(section)) continue;
      asArray(section.routes).forEach((route, i) => {
        if (!isMap(route)) return;
        const stepsKey = isMap(route.pipeline) ? 'pipeline' : Array.isArray(route.steps) ? 'steps' : undefined;
        if (!stepsKey) return;
        const steps = stepsKey === 'pipeline' ? (route.pipeline as Map_).steps : route.steps;
        const path: ConfigPath =
          stepsKey === 'pipeline'
            ? ['workflows', type, 'routes', i, 'pipeline', 'steps']
            : ['workflows', type, 'routes', i, 'steps'];
        checkStepList(
          { c, catalog, templates, refsMode },
          steps,
          path,
          `workflows.${type} route ${String(route.method ?? '')} ${String(route.path ?? '')}`.trim(),
          new Set(),
        );
      });
    }
  }
  if (isMap(cfg.triggers)) {
    for (const type of Object.keys(cfg.triggers)) {
      if (!catalog.triggers.has(type)) {
        const near = suggest(type, catalog.triggers.keys());
        c.error(
          ['triggers', type],
          `triggers.${type}`,
          `unknown trigger type "${type}"`,
          near
            ? `did you mean "${near}"?`
            : `known trigger types: ${[...catalog.triggers.keys()].join(', ') || '(none)'}`,
          true,
        );
      }
    }
  }

  // --- pipelines
  if (isMap(cfg.pipelines)) {
    for (const [name, p] of Object.entries(cfg.pipelines)) {
      if (!isMap(p)) continue;
      const where = `pipeline ${name}`;
      const allNames = new Set<string>(
        [...asArray(p.steps), ...asArray(p.compensation)].filter(isMap).map((s) => String(s.name)),
      );
      checkStepList({ c, catalog, templates, refsMode }, p.steps, ['pipelines', name, 'steps'], where, allNames);
      checkStepList(
        { c, catalog, templates, refsMode },
        p.compensation,
        ['pipelines', name, 'compensation'],
        `${where} compensation`,
        allNames,
      );
      if (p.timeout !== undefined) {
        try {
          parseDuration(p.timeout);
        } catch (err) {
          c.error(['pipelines', name, 'timeout'], where, (err as Error).message);
        }
      }
      if (p.on_error === 'compensate' && asArray(p.compensation).length === 0) {
        c.warn(
          ['pipelines', name, 'on_error'],
          where,
          'on_error is compensate but the pipeline has no compensation steps',
        );
      }
      if (isMap(p.trigger) && typeof p.trigger.type === 'string') {
        const t = p.trigger.type;
        if (!catalog.triggerWrappers.has(t)) {
          c.warn(
            ['pipelines', name, 'trigger', 'type'],
            where,
            `no trigger of type "${t}" can start this pipeline; it is registered but only callable by name`,
            `known inline trigger types: ${[...catalog.triggerWrappers.keys()].join(', ') || '(none)'}`,
          );
        }
      }
    }
  }

  // --- requires
  if (isMap(cfg.requires)) {
    asArray(cfg.requires.plugins).forEach((req, i) => {
      if (!isMap(req) || typeof req.name !== 'string') return;
      const plugin = catalog.plugin(req.name);
      const where = `requires plugin ${req.name}`;
      if (!plugin) {
        const loadedNames = catalog.plugins.map((p) => p.manifest.name);
        const near = suggest(req.name, loadedNames);
        c.error(
          ['requires', 'plugins', i, 'name'],
          where,
          `requires plugin "${req.name}", which is not loaded`,
          near ? `did you mean "${near}"?` : `loaded plugins: ${loadedNames.join(', ') || '(none)'}`,
        );
      } else if (typeof req.version === 'string') {
        const why = checkConstraint(plugin.manifest.version, req.version);
        if (why) c.error(['requires', 'plugins', i, 'version'], where, `plugin "${req.name}" ${why}`);
      }
    });
  }

  // --- entry points
  if (!opts.allowNoEntryPoints && !hasEntryPoint(cfg, catalog)) {
    c.warn(
      [],
      'config',
      'config has no entry points (no triggers, HTTP routes, messaging subscriptions, scheduler jobs, pipelines or listening modules)',
      'add an entry point, or pass --allow-no-entry-points for an embeddable sub-workflow',
    );
  }
  return { ok: c.errors.length === 0, errors: c.errors, warnings: c.warnings };
}

/** Shape problems upstream's engine starts with, and what it then does; undefined for the others. */
function upstreamToleratedShape(p: { path: ConfigPath; keyword: string; message: string }): string | undefined {
  const last = p.path[p.path.length - 1];
  const inStepList = (i: number) => p.path[i] === 'steps' || p.path[i] === 'compensation';
  if (p.keyword === 'required' && typeof last === 'number' && inStepList(p.path.length - 2))
    return p.message.includes('"name"') ? 'the step runs; its output is kept under the name ""' : undefined;
  if (p.keyword !== 'enum') return undefined;
  if (last === 'templateRefs') return 'it means warn';
  if (last === 'on_error') return inStepList(p.path.length - 3) ? "the pipeline's on_error applies" : 'it means stop';
  return undefined;
}

function hasEntryPoint(cfg: Map_, catalog: PluginCatalog): boolean {
  if (isMap(cfg.triggers) && Object.keys(cfg.triggers).length > 0) return true;
  if (isMap(cfg.pipelines) && Object.keys(cfg.pipelines).length > 0) return true;
  if (
    asArray(cfg.modules).some(
      (m) => isMap(m) && typeof m.type === 'string' && catalog.entryPointModuleTypes.has(m.type),
    )
  )
    return true;
  const wf = isMap(cfg.workflows) ? cfg.workflows : {};
  const nonEmpty = (section: unknown, key: string) => isMap(section) && asArray(section[key]).length > 0;
  return nonEmpty(wf.http, 'routes') || nonEmpty(wf.messaging, 'subscriptions') || nonEmpty(wf.scheduler, 'jobs');
}

function describeWhere(cfg: Map_, path: ConfigPath): string {
  const [section, key, , , stepIndex] = path;
  if (section === 'modules' && typeof key === 'number') {
    const m = asArray(cfg.modules)[key];
    return `module ${isMap(m) && m.name !== undefined && m.name !== null ? String(m.name) : `#${key}`}`;
  }
  if (section === 'pipelines' && typeof key === 'string') {
    if (path[2] === 'steps' && typeof path[3] === 'number') {
      const p = isMap(cfg.pipelines) ? cfg.pipelines[key] : undefined;
      const s = isMap(p) ? asArray(p.steps)[path[3]] : undefined;
      return `pipeline ${key} step ${isMap(s) && typeof s.name === 'string' ? s.name : `#${path[3]}`}`;
    }
    void stepIndex;
    return `pipeline ${key}`;
  }
  if (typeof section === 'string' && typeof key === 'string') return `${section}.${key}`;
  return typeof section === 'string' ? section : 'config';
}

export function validateConfigFile(path: string, opts: ValidateOptions): ValidationResult {
  return validateLoaded(readConfigFile(path), opts);
}

export function validateConfigText(
  text: string,
  opts: ValidateOptions & { file?: string; baseDir?: string },
): ValidationResult {
  return validateLoaded(readConfigText(text, { file: opts.file, baseDir: opts.baseDir }), opts);
}
