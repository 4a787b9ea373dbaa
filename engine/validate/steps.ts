// Pipeline steps, wherever they are (pipelines, compensation, HTTP workflow routes, nested step lists):
// unique names, known types and their config, misspelled keys, timeouts, template syntax, and
// templates that refer to steps the pipeline does not have (engine.validation.templateRefs).
import type { ConfigPath } from '../contract.ts';
import { parseDuration } from '../duration.ts';
import type { PluginCatalog } from '../plugin-catalog.ts';
import type { TemplateEngine } from '../template/index.ts';
import { type Collector, type ConfigMap, isMap, KEY_SPELLINGS, suggest } from './collector.ts';
import { checkTypeConfig } from './type-config.ts';

const STEP_KEYS = new Set(['name', 'type', 'config', 'skip_if', 'if', 'error_status', 'on_error', 'timeout']);

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

export interface StepListContext {
  c: Collector;
  catalog: PluginCatalog;
  templates: TemplateEngine;
  refsMode: 'off' | 'warn' | 'error';
}

export function checkStepList(
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
export function inlineConfig(step: ConfigMap): ConfigMap {
  const out: ConfigMap = {};
  for (const [k, v] of Object.entries(step)) if (!STEP_KEYS.has(k)) out[k] = v;
  return out;
}
