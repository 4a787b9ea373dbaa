// Merging config files (pure over decoded values): `imports` (UPSTREAM.md 1.3) and application
// multi-file configs (1.2). Merged containers inherit a source location so errors still point into
// the files they came from.
import { ownValue, setOwn } from '../security/index.ts';
import type { ConfigIssue } from './config-issue.ts';
import type { ConfigMap, WorkflowConfig } from './contract.ts';
import type { SourceMap } from './source-map.ts';

const isMap = (v: unknown): v is ConfigMap => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nameOf = (v: unknown): string | undefined => (isMap(v) && typeof v.name === 'string' ? v.name : undefined);

function dedupByName(first: unknown[], second: unknown[]): unknown[] {
  const seen = new Set(first.map(nameOf).filter((n): n is string => n !== undefined));
  return [
    ...first,
    ...second.filter((x) => {
      const n = nameOf(x);
      if (n === undefined) return true;
      if (seen.has(n)) return false;
      seen.add(n);
      return true;
    }),
  ];
}

function mergeRequires(a: unknown, b: unknown): unknown {
  if (!isMap(a)) return b;
  if (!isMap(b)) return a;
  const caps = [...new Set([...asArray(a.capabilities), ...asArray(b.capabilities)])];
  const out: ConfigMap = { ...b, ...a };
  if (a.capabilities !== undefined || b.capabilities !== undefined) out.capabilities = caps;
  if (a.plugins !== undefined || b.plugins !== undefined)
    out.plugins = dedupByName(asArray(a.plugins), asArray(b.plugins));
  return out;
}

function mergePlugins(a: unknown, b: unknown): unknown {
  if (!isMap(a)) return b;
  if (!isMap(b)) return a;
  return { ...b, ...a, external: dedupByName(asArray(a.external), asArray(b.external)) };
}

/**
 * Merge an imported file into the importing one. The importing file wins: modules are appended and
 * deduplicated by name (first definition wins, silently, as upstream does); map sections only gain
 * keys they lack; `plugins.external` and `sidecars` dedup by name; other keys are added if absent.
 */
export function mergeImport(base: WorkflowConfig, imported: WorkflowConfig, sourceMap: SourceMap): WorkflowConfig {
  const out: WorkflowConfig = { ...base };
  sourceMap.copy(base, out);
  for (const [key, value] of Object.entries(imported)) {
    if (key === 'imports') continue;
    const current = ownValue(out, key);
    switch (key) {
      case 'modules':
      case 'sidecars': {
        const merged = dedupByName(asArray(current), asArray(value));
        sourceMap.copy((current as object) ?? (value as object), merged);
        out[key] = merged as never;
        break;
      }
      case 'workflows':
      case 'triggers':
      case 'pipelines':
      case 'platform': {
        if (!isMap(current)) {
          out[key] = value as never;
          break;
        }
        const merged: ConfigMap = { ...current };
        sourceMap.copy(current, merged);
        if (isMap(value))
          for (const [k, v] of Object.entries(value)) if (!Object.hasOwn(merged, k)) setOwn(merged, k, v);
        out[key] = merged as never;
        break;
      }
      case 'plugins':
        out.plugins = mergePlugins(current, value) as WorkflowConfig['plugins'];
        break;
      case 'requires':
        out.requires = mergeRequires(current, value) as WorkflowConfig['requires'];
        break;
      default:
        if (current === undefined) setOwn(out, key, value);
    }
  }
  return out;
}

/** List keys of `workflows.<type>` sections that application files concatenate. */
const CONCAT_KEYS = new Set(['routes', 'subscriptions', 'producers', 'definitions', 'jobs', 'hooks']);

export interface ApplicationPart {
  file: string;
  config: WorkflowConfig;
}

/**
 * Merge the files of an application config. Module names, trigger keys and pipeline names must be
 * unique across files; workflow sections deep-merge (list keys concatenate, other keys first wins).
 */
export function mergeApplication(
  parts: ApplicationPart[],
  sourceMap: SourceMap,
  locate: (node: unknown, path: Array<string | number>, file: string) => { file: string; line: number; column: number },
): { config: WorkflowConfig; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const merged: WorkflowConfig = {};
  const moduleOwner = new Map<string, string>();
  const triggerOwner = new Map<string, string>();
  const pipelineOwner = new Map<string, string>();
  const conflict = (part: ApplicationPart, path: Array<string | number>, kind: string, name: string, first: string) => {
    const loc = locate(part.config, path, part.file);
    issues.push({
      ...loc,
      where: `${kind} ${name}`,
      jsonPath: path.join('.'),
      message: `${kind} "${name}" is defined in both ${first} and ${part.file}`,
      hint: `names must be unique across the files of an application; rename one of them`,
    });
  };
  for (const part of parts) {
    const cfg = part.config;
    asArray(cfg.modules).forEach((m, i) => {
      const name = nameOf(m);
      if (name !== undefined && moduleOwner.has(name))
        return conflict(part, ['modules', i, 'name'], 'module', name, moduleOwner.get(name)!);
      if (name !== undefined) moduleOwner.set(name, part.file);
      ((merged.modules ??= []) as unknown[]).push(m);
    });
    for (const [section, owners, kind] of [
      ['triggers', triggerOwner, 'trigger'],
      ['pipelines', pipelineOwner, 'pipeline'],
    ] as const) {
      const src = cfg[section];
      if (!isMap(src)) continue;
      const target = ((merged as ConfigMap)[section] ??= {}) as ConfigMap;
      sourceMap.copy(src, target);
      for (const [k, v] of Object.entries(src)) {
        if (owners.has(k)) {
          conflict(part, [section, k], kind, k, owners.get(k)!);
          continue;
        }
        owners.set(k, part.file);
        setOwn(target, k, v);
      }
    }
    if (isMap(cfg.workflows)) {
      const target = (merged.workflows ??= {}) as ConfigMap;
      sourceMap.copy(cfg.workflows, target);
      for (const [type, section] of Object.entries(cfg.workflows)) {
        const existing = ownValue(target, type);
        if (!isMap(existing) || !isMap(section)) {
          if (existing === undefined) setOwn(target, type, section);
          continue;
        }
        const combined: ConfigMap = { ...existing };
        sourceMap.copy(existing, combined);
        for (const [k, v] of Object.entries(section)) {
          if (CONCAT_KEYS.has(k) && Array.isArray(v)) combined[k] = [...asArray(combined[k]), ...v];
          else if (!Object.hasOwn(combined, k)) setOwn(combined, k, v);
        }
        setOwn(target, type, combined);
      }
    }
    if (cfg.plugins !== undefined)
      merged.plugins = mergePlugins(merged.plugins, cfg.plugins) as WorkflowConfig['plugins'];
    if (cfg.requires !== undefined)
      merged.requires = mergeRequires(merged.requires, cfg.requires) as WorkflowConfig['requires'];
    for (const [k, v] of Object.entries(cfg)) {
      if (
        ['modules', 'triggers', 'pipelines', 'workflows', 'plugins', 'requires', 'imports', 'application'].includes(k)
      )
        continue;
      if (ownValue(merged, k) === undefined) setOwn(merged, k, v);
    }
  }
  return { config: merged, issues };
}
