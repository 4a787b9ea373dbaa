// Reading step config values with located errors (paths are relative to the step's `config`).
import { ownValue } from '../../security/index.ts';
import {
  ConfigValueError,
  hasTemplateSyntax,
  type CompiledValue,
  type ConfigMap,
  type PipelineContext,
  type StepBuildContext,
} from '../../engine/index.ts';

export function optString(config: ConfigMap, key: string, fallback?: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
    throw new ConfigValueError(`"${key}" must be a string`, { path: [key] });
  return String(v);
}

export function reqString(config: ConfigMap, key: string, hint?: string): string {
  const v = optString(config, key);
  if (v === undefined) throw new ConfigValueError(`"${key}" is required`, { path: [key], hint });
  return v;
}

export function optNumber(config: ConfigMap, key: string, fallback?: number): number | undefined {
  const v = config[key];
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new ConfigValueError(`"${key}" must be a number (got ${JSON.stringify(v)})`, { path: [key] });
  return n;
}

export function optStringList(config: ConfigMap, key: string): string[] | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new ConfigValueError(`"${key}" must be a list of strings`, { path: [key] });
  return v.map(String);
}

export function optMap(config: ConfigMap, key: string): ConfigMap | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigValueError(`"${key}" must be a map`, { path: [key] });
  return v as ConfigMap;
}

export function oneOf<T extends string>(config: ConfigMap, key: string, options: readonly T[], fallback: T): T {
  const v = optString(config, key);
  if (v === undefined) return fallback;
  if (!(options as readonly string[]).includes(v))
    throw new ConfigValueError(`"${key}" must be one of: ${options.join(', ')} (got "${v}")`, { path: [key] });
  return v as T;
}

/** A value that is either a dotted path ("steps.x.items") or a template ("{{ .x }}"). */
export function pathOrTemplate(
  ctx: StepBuildContext,
  value: string,
  path: Array<string | number>,
): (pc: PipelineContext) => unknown {
  if (hasTemplateSyntax(value)) {
    const compiled = ctx.templates.compile(value, path);
    return (pc) => compiled.resolve(pc);
  }
  return (pc) => ctx.templates.lookup(pc, value);
}

export function compile(ctx: StepBuildContext, value: unknown, path: Array<string | number>): CompiledValue {
  return ctx.templates.compile(value, path);
}

/** Resolved template strings that look like JSON documents are decoded (upstream json_response/http_call). */
export function decodeJsonLike(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if ((s.startsWith('{') && s.endsWith('}')) || (s.startsWith('[') && s.endsWith(']'))) {
    try {
      return JSON.parse(s);
    } catch {
      return v;
    }
  }
  return v;
}

/** Walk a dotted path ("a.b.0.c") through maps and lists. */
export function getPath(value: unknown, dotted: string): unknown {
  let cur = value;
  for (const seg of dotted.split('.')) {
    if (seg === '') continue;
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (cur !== null && typeof cur === 'object') cur = ownValue(cur, seg);
    else return undefined;
  }
  return cur;
}
