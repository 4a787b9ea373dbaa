// Typed reads of a module's or step's `config` map. Every reader accepts the spellings upstream
// configs use (any number where Go only took float64, numeric strings, aliases) and throws a
// ConfigValueError whose path points at the offending key, so the engine can print file:line:col.
import { ConfigValueError, parseDuration, type ConfigMap } from '../../engine/index.ts';

export class ConfigReader {
  constructor(readonly config: ConfigMap) {}

  /** The first present key among `key` and its aliases (upstream accepts several spellings). */
  private pick(keys: string[]): { key: string; value: unknown } | undefined {
    for (const key of keys) {
      const value = this.config[key];
      if (value !== undefined && value !== null) return { key, value };
    }
    return undefined;
  }

  has(...keys: string[]): boolean {
    return this.pick(keys) !== undefined;
  }

  raw(...keys: string[]): unknown {
    return this.pick(keys)?.value;
  }

  string(keys: string | string[], fallback?: string): string | undefined {
    const found = this.pick(asList(keys));
    if (!found) return fallback;
    const { key, value } = found;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new ConfigValueError(`"${key}" must be a string, got ${describe(value)}`, { path: [key] });
  }

  requiredString(keys: string | string[], hint?: string): string {
    const list = asList(keys);
    const value = this.string(list);
    if (value === undefined || value.trim() === '') {
      throw new ConfigValueError(`"${list[0]}" is required`, {
        path: [list[0]],
        hint: hint ?? `set config.${list[0]}`,
      });
    }
    return value;
  }

  number(keys: string | string[], fallback?: number): number | undefined {
    const found = this.pick(asList(keys));
    if (!found) return fallback;
    const { key, value } = found;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n))
      throw new ConfigValueError(`"${key}" must be a number, got ${describe(value)}`, { path: [key] });
    return n;
  }

  boolean(keys: string | string[], fallback?: boolean): boolean | undefined {
    const found = this.pick(asList(keys));
    if (!found) return fallback;
    const { key, value } = found;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new ConfigValueError(`"${key}" must be true or false, got ${describe(value)}`, { path: [key] });
  }

  /** Milliseconds. Strings use Go duration syntax; a bare number means seconds. */
  duration(keys: string | string[], fallbackMs?: number): number | undefined {
    const found = this.pick(asList(keys));
    if (!found) return fallbackMs;
    const { key, value } = found;
    try {
      return parseDuration(value);
    } catch {
      throw new ConfigValueError(`"${key}" must be a duration such as "30s", "5m" or "1h", got ${describe(value)}`, {
        path: [key],
      });
    }
  }

  stringList(keys: string | string[]): string[] {
    const found = this.pick(asList(keys));
    if (!found) return [];
    const { key, value } = found;
    if (typeof value === 'string') return value === '' ? [] : [value];
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'number' || typeof item === 'boolean') return String(item);
        throw new ConfigValueError(`"${key}[${i}]" must be a string, got ${describe(item)}`, { path: [key, i] });
      });
    }
    throw new ConfigValueError(`"${key}" must be a list of strings, got ${describe(value)}`, { path: [key] });
  }

  map(keys: string | string[]): ConfigMap | undefined {
    const found = this.pick(asList(keys));
    if (!found) return undefined;
    const { key, value } = found;
    if (isPlainObject(value)) return value;
    throw new ConfigValueError(`"${key}" must be a map, got ${describe(value)}`, { path: [key] });
  }

  list(keys: string | string[]): unknown[] {
    const found = this.pick(asList(keys));
    if (!found) return [];
    const { key, value } = found;
    if (Array.isArray(value)) return value;
    throw new ConfigValueError(`"${key}" must be a list, got ${describe(value)}`, { path: [key] });
  }

  oneOf<T extends string>(
    keys: string | string[],
    options: readonly T[],
    fallback: T,
    aliases: Record<string, T> = {},
  ): T {
    const list = asList(keys);
    const value = this.string(list);
    if (value === undefined || value === '') return fallback;
    if ((options as readonly string[]).includes(value)) return value as T;
    if (Object.hasOwn(aliases, value)) return aliases[value]!;
    const key = this.pick(list)!.key;
    throw new ConfigValueError(
      `"${key}" must be one of ${[...options, ...Object.keys(aliases)].join(', ')}; got "${value}"`,
      { path: [key] },
    );
  }
}

export function isPlainObject(value: unknown): value is ConfigMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Buffer);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

function asList(keys: string | string[]): string[] {
  return typeof keys === 'string' ? [keys] : keys;
}
