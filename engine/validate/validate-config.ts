// Config validation: the JSON Schema (shape) plus the upstream rules, one file per config section:
// modules (names, types, config, dependsOn), workflows and triggers, pipelines and their steps,
// requires, and entry points. Pure over a loaded config and a plugin catalog; every issue carries
// file:line:column.
import type { ValidationResult } from '../config-issue.ts';
import { readConfigFile, readConfigText, type LoadedConfig } from '../config-loader.ts';
import type { EnginePlugin } from '../contract.ts';
import { PluginCatalog } from '../plugin-catalog.ts';
import { TemplateEngine } from '../template/index.ts';
import { Collector, type ConfigMap, isMap } from './collector.ts';
import { checkEntryPoints } from './entry-points.ts';
import { checkModules } from './modules.ts';
import { checkPipelines } from './pipelines.ts';
import { checkRequires } from './requires.ts';
import { checkShape } from './shape.ts';
import type { StepListContext } from './steps.ts';
import { checkWorkflowsAndTriggers } from './workflows.ts';

export interface ValidateOptions {
  plugins: readonly EnginePlugin[];
  /** Environment for `${VAR}` in module config (default process.env). */
  env?: Record<string, string | undefined>;
  /** Skip the "no entry points" warning (embeddable sub-workflows). */
  allowNoEntryPoints?: boolean;
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
  const cfg = loaded.config as ConfigMap;
  checkShape(c, cfg);
  const refsMode = isMap(cfg.engine) && isMap(cfg.engine.validation) ? cfg.engine.validation.templateRefs : undefined;
  const steps: StepListContext = {
    c,
    catalog,
    templates: new TemplateEngine(),
    refsMode: refsMode === 'off' || refsMode === 'error' ? refsMode : 'warn',
  };
  checkModules(c, cfg, catalog, opts.env ?? process.env);
  checkWorkflowsAndTriggers(steps, cfg);
  checkPipelines(steps, cfg);
  checkRequires(c, cfg, catalog);
  if (!opts.allowNoEntryPoints) checkEntryPoints(c, cfg, catalog);
  return { ok: c.errors.length === 0, errors: c.errors, warnings: c.warnings };
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
