// How the operator checks an engine config before shipping it. The real check is the engine's own
// validator (engine.validateConfigText with the core plugins), which the caller injects: the
// operator does not import plugins/. Without one, a YAML-level check still catches syntax errors
// and configs that are not a mapping, with file:line:column.
import { parseDocument } from 'yaml';
import type { PluginDeclaration } from '../plugins/resolver.ts';

export interface ConfigCheck {
  ok: boolean;
  /** "file:line:column: message" lines. */
  errors: string[];
  warnings: string[];
}

/**
 * `declared`: plugins the app requires whose code the operator does not load (resolved from the
 * registry); their declared types count as known.
 */
export type ConfigValidator = (
  text: string,
  file: string,
  declared?: readonly PluginDeclaration[],
) => ConfigCheck | Promise<ConfigCheck>;

export const yamlConfigValidator: ConfigValidator = (text, file) => {
  const doc = parseDocument(text, { prettyErrors: false });
  const errors = doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    return `${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e.message.split('\n')[0]}`;
  });
  if (errors.length === 0) {
    const value = doc.toJS() as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      errors.push(`${file}:1:1: an engine config must be a YAML mapping (modules:, workflows:, pipelines:, ...)`);
    }
  }
  return { ok: errors.length === 0, errors, warnings: doc.warnings.map((w) => `${file}: ${w.message}`) };
};

/** Remembers results by content: a resync of an unchanged app does not re-validate its config. */
export function memoizeValidator(inner: ConfigValidator, size = 2048): ConfigValidator {
  const cache = new Map<string, ConfigCheck>();
  return async (text, file, declared) => {
    const key = `${file}\0${text}\0${(declared ?? []).map((d) => `${d.name}@${d.version}`).join(',')}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const result = await inner(text, file, declared);
    if (cache.size >= size) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
    return result;
  };
}
