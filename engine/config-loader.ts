// Loading a workflow config from disk or text: YAML with source locations, `imports` resolved
// depth-first relative to each file (cycles are errors), application configs merged from their
// workflow files. Reading never throws for user errors; it returns them as located issues.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, formatJsonPath, type ConfigIssue } from './config-issue.ts';
import { mergeApplication, mergeImport, type ApplicationPart } from './config-merge.ts';
import type { ConfigPath, WorkflowConfig } from './contract.ts';
import { SourceMap, type SourceLocation } from './source-map.ts';
import { parseYamlWithLocations } from './yaml-source.ts';

export interface LoadedConfig {
  /** The merged config (imports and application files resolved; `imports` removed). */
  config: WorkflowConfig;
  /** Display path of the main file (relative to the working directory when inside it). */
  file: string;
  /** Absolute directory of the main file (upstream `_config_dir`). */
  configDir: string;
  /** Every file read, display paths, main file first. */
  files: string[];
  sourceMap: SourceMap;
  /** Problems found while loading (syntax errors, missing imports, cycles, application conflicts). */
  issues: ConfigIssue[];
  /** Location of a path in the merged config. */
  locate(path: ConfigPath): SourceLocation;
  /** Absolute directory of the file a config node (module, pipeline...) came from. */
  dirOf(node: unknown): string;
}

export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

class Reader {
  readonly sourceMap = new SourceMap();
  readonly issues: ConfigIssue[] = [];
  readonly files: string[] = [];
  /** display path -> absolute dir, for dirOf */
  readonly dirs = new Map<string, string>();

  issue(file: string, node: unknown, path: ConfigPath, message: string, hint?: string, where = 'imports'): void {
    const loc = this.sourceMap.locate(node, path, file);
    this.issues.push({ ...loc, where, jsonPath: formatJsonPath(path), message, hint });
  }

  parseText(text: string, file: string, absDir: string): WorkflowConfig | undefined {
    if (!this.files.includes(file)) this.files.push(file);
    this.dirs.set(file, absDir);
    const parsed = parseYamlWithLocations(text, file, this.sourceMap);
    this.issues.push(...parsed.issues);
    if (parsed.issues.length > 0) return undefined;
    if (parsed.value === null || parsed.value === undefined) {
      const empty: WorkflowConfig = {};
      this.sourceMap.record(empty, file, { line: 1, column: 1 });
      return empty;
    }
    if (!isMap(parsed.value)) {
      this.issues.push({
        file,
        line: 1,
        column: 1,
        where: 'config',
        jsonPath: '',
        message: 'a workflow config must be a YAML map of top-level keys (modules, pipelines, workflows, ...)',
      });
      return undefined;
    }
    return parsed.value as WorkflowConfig;
  }

  readFile(abs: string, from?: { file: string; node: unknown; path: ConfigPath }): WorkflowConfig | undefined {
    const file = displayPath(abs);
    let text: string;
    try {
      if (!existsSync(abs)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      if (statSync(abs).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      const what =
        code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
      if (from)
        this.issue(
          from.file,
          from.node,
          from.path,
          `cannot read ${file}: ${what}`,
          'paths are resolved relative to the file that references them',
        );
      else
        this.issues.push({
          file,
          line: 0,
          column: 0,
          where: 'config',
          jsonPath: '',
          message: `cannot read config file: ${what}`,
        });
      return undefined;
    }
    return this.parseText(text, file, dirname(abs));
  }

  /** Resolve `imports` of an already parsed file, depth-first; importing file wins. */
  resolveImports(config: WorkflowConfig, file: string, absDir: string, stack: string[]): WorkflowConfig {
    const imports = config.imports;
    if (imports === undefined) return config;
    if (!Array.isArray(imports)) {
      this.issue(
        file,
        config,
        ['imports'],
        'imports must be a list of file paths',
        'e.g. imports: [shared/modules.yaml]',
      );
      return config;
    }
    let merged: WorkflowConfig = { ...config };
    this.sourceMap.copy(config, merged);
    delete merged.imports;
    imports.forEach((entry, i) => {
      if (typeof entry !== 'string' || entry.trim() === '') {
        this.issue(file, config, ['imports', i], 'each import must be a file path string');
        return;
      }
      const abs = resolve(absDir, entry);
      if (stack.includes(abs)) {
        const cycle = [...stack.slice(stack.indexOf(abs)), abs].map(displayPath).join(' -> ');
        this.issue(
          file,
          config,
          ['imports', i],
          `circular import: ${cycle}`,
          'remove one of the imports that form the cycle',
        );
        return;
      }
      const imported = this.readFile(abs, { file, node: config, path: ['imports', i] });
      if (!imported) return;
      const resolved = this.resolveImports(imported, displayPath(abs), dirname(abs), [...stack, abs]);
      merged = mergeImport(merged, resolved, this.sourceMap);
    });
    return merged;
  }

  /** An application config (`application.workflows`) becomes the merge of its files. */
  resolveApplication(config: WorkflowConfig, file: string, absDir: string, absFile: string): WorkflowConfig {
    const app = config.application;
    if (!isMap(app) || !Array.isArray(app.workflows) || app.workflows.length === 0) return config;
    const parts: ApplicationPart[] = [];
    const own: WorkflowConfig = { ...config };
    delete own.application;
    if (['modules', 'pipelines', 'workflows', 'triggers'].some((k) => own[k] !== undefined))
      parts.push({ file, config: own });
    app.workflows.forEach((wf, i) => {
      const ref = isMap(wf) ? wf.file : undefined;
      if (typeof ref !== 'string' || ref === '') {
        this.issue(
          file,
          config,
          ['application', 'workflows', i],
          'each application workflow needs a `file`',
          'e.g. - file: orders.yaml',
          'application',
        );
        return;
      }
      const abs = resolve(absDir, ref);
      const loaded = this.readFile(abs, { file, node: config, path: ['application', 'workflows', i, 'file'] });
      if (!loaded) return;
      const resolved = this.resolveImports(loaded, displayPath(abs), dirname(abs), [absFile, abs]);
      parts.push({ file: displayPath(abs), config: resolved });
    });
    const { config: merged, issues } = mergeApplication(parts, this.sourceMap, (node, path, f) =>
      this.sourceMap.locate(node, path, f),
    );
    this.issues.push(...issues);
    merged.application = app as WorkflowConfig['application'];
    if (typeof app.name === 'string' && merged.name === undefined) merged.name = app.name;
    this.sourceMap.copy(config, merged);
    return merged;
  }
}

function finish(reader: Reader, config: WorkflowConfig, file: string, configDir: string): LoadedConfig {
  return {
    config,
    file,
    configDir,
    files: reader.files,
    sourceMap: reader.sourceMap,
    issues: reader.issues,
    locate: (path) => reader.sourceMap.locate(config, path, file),
    dirOf: (node) => {
      const f = reader.sourceMap.fileOf(node);
      return (f && reader.dirs.get(f)) ?? configDir;
    },
  };
}

/** Read a config file with imports/application files; problems come back in `issues`. */
export function readConfigFile(path: string): LoadedConfig {
  const abs = resolve(path);
  const reader = new Reader();
  const file = displayPath(abs);
  const parsed = reader.readFile(abs);
  if (!parsed) return finish(reader, {}, file, dirname(abs));
  const withImports = reader.resolveImports(parsed, file, dirname(abs), [abs]);
  const config = reader.resolveApplication(withImports, file, dirname(abs), abs);
  return finish(reader, config, file, dirname(abs));
}

/** Read config text (imports resolve against `baseDir`); problems come back in `issues`. */
export function readConfigText(text: string, opts: { file?: string; baseDir?: string } = {}): LoadedConfig {
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const file = opts.file ?? '<config>';
  const reader = new Reader();
  const parsed = reader.parseText(text, file, baseDir);
  if (!parsed) return finish(reader, {}, file, baseDir);
  const pseudo = resolve(baseDir, file.startsWith('<') ? '.config.yaml' : file);
  const withImports = reader.resolveImports(parsed, file, baseDir, [pseudo]);
  const config = reader.resolveApplication(withImports, file, baseDir, pseudo);
  return finish(reader, config, file, baseDir);
}

function orThrow(loaded: LoadedConfig): LoadedConfig {
  if (loaded.issues.length > 0) throw new ConfigError(loaded.issues);
  return loaded;
}

/** The merged config of a file (imports and application files resolved); throws ConfigError. */
export function loadConfigFile(path: string): LoadedConfig {
  return orThrow(readConfigFile(path));
}

export function loadConfigText(text: string, opts: { file?: string; baseDir?: string } = {}): LoadedConfig {
  return orThrow(readConfigText(text, opts));
}
