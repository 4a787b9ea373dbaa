// A module's or step's config against its type schema: required keys (and their aliases), select
// options, snake_case keys the type reads in camelCase, then the type's own validate().
import type { ConfigPath, TypeSchema } from '../contract.ts';
import { type Collector, isMap } from './collector.ts';

function camelOf(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Required keys, aliases and camelCase hints of a type schema; then the type's own checks. */
export function checkTypeConfig(
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
