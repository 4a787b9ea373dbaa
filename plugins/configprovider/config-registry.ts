// config.provider's pure core (upstream module/config_provider.go): parse the `schema` and `sources`
// sections, layer the sources into a registry (later sources override earlier ones), check the
// required keys, and expand `{{config "key"}}` references in the rest of the config.
import { ConfigValueError, type ConfigMap, type ConfigPath } from '../../engine/index.ts';
import { describe, isPlainObject } from '../support/index.ts';

export interface ConfigKeySchema {
  /** Environment variable the `env` source reads (after its prefix). */
  env?: string;
  required: boolean;
  default?: string;
  /** Shown as ******** wherever values are displayed. */
  sensitive: boolean;
  desc?: string;
}

export type ConfigSource = { type: 'defaults' } | { type: 'env'; prefix: string };

export const SOURCE_TYPES = ['defaults', 'env'] as const;

export interface ConfigProviderSpec {
  schema: Map<string, ConfigKeySchema>;
  sources: ConfigSource[];
}

const fail = (message: string, path: ConfigPath, hint?: string): never => {
  throw new ConfigValueError(message, { path, ...(hint ? { hint } : {}) });
};

function scalarString(value: unknown, path: ConfigPath): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(`"${path.join('.')}" must be a string, got ${describe(value)}`, path);
}

function flag(value: unknown, path: ConfigPath): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  return fail(`"${path.join('.')}" must be true or false, got ${describe(value)}`, path);
}

/** Parse a config.provider module's config. Paths in errors are relative to that config map. */
export function parseConfigProvider(config: ConfigMap): ConfigProviderSpec {
  const rawSchema = config.schema;
  if (rawSchema === undefined || rawSchema === null)
    fail(
      "config.provider requires a 'schema' section",
      ['schema'],
      'declare each key: schema: { KEY: { env, default, required } }',
    );
  if (!isPlainObject(rawSchema)) fail(`"schema" must be a map of keys, got ${describe(rawSchema)}`, ['schema']);
  const schema = new Map<string, ConfigKeySchema>();
  for (const [key, raw] of Object.entries(rawSchema as ConfigMap)) {
    const at = ['schema', key];
    if (!isPlainObject(raw))
      fail(`schema entry "${key}" must be a map`, at, 'e.g. { env: MY_VAR, default: "x", required: true }');
    const e = raw as ConfigMap;
    const env = scalarString(e.env, [...at, 'env']);
    const def = scalarString(e.default, [...at, 'default']);
    const desc = scalarString(e.desc, [...at, 'desc']);
    schema.set(key, {
      ...(env ? { env } : {}),
      required: flag(e.required, [...at, 'required']),
      // upstream treats an empty default as no default
      ...(def ? { default: def } : {}),
      sensitive: flag(e.sensitive, [...at, 'sensitive']),
      ...(desc ? { desc } : {}),
    });
  }
  const rawSources = config.sources;
  if (rawSources === undefined || rawSources === null)
    fail(
      "config.provider requires a 'sources' section",
      ['sources'],
      'e.g. sources: [{ type: defaults }, { type: env }]',
    );
  if (!Array.isArray(rawSources)) fail(`'sources' must be a list, got ${describe(rawSources)}`, ['sources']);
  const sources = (rawSources as unknown[]).map((raw, i): ConfigSource => {
    if (!isPlainObject(raw))
      return fail('each source must be a map', ['sources', i], 'e.g. { type: env, prefix: APP_ }');
    const type = (raw as ConfigMap).type;
    if (type === 'defaults') return { type };
    if (type === 'env')
      return { type, prefix: scalarString((raw as ConfigMap).prefix, ['sources', i, 'prefix']) ?? '' };
    return fail(
      `unsupported config source type: ${JSON.stringify(type ?? '')}`,
      ['sources', i, 'type'],
      `use one of: ${SOURCE_TYPES.join(', ')}`,
    );
  });
  return { schema, sources };
}

/** Resolved configuration values; frozen once every provider has loaded (upstream ConfigRegistry). */
export class ConfigRegistry {
  private readonly values = new Map<string, string>();
  private readonly sensitive = new Set<string>();
  private frozen = false;

  set(key: string, value: string, sensitive: boolean): void {
    if (this.frozen) throw new Error(`config registry is frozen; cannot set key "${key}"`);
    this.values.set(key, value);
    if (sensitive) this.sensitive.add(key);
    else this.sensitive.delete(key);
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  isSensitive(key: string): boolean {
    return this.sensitive.has(key);
  }

  keys(): string[] {
    return [...this.values.keys()].sort();
  }

  /** The value for display: sensitive values as ********. */
  redactedValue(key: string): string | undefined {
    return this.sensitive.has(key) ? '********' : this.values.get(key);
  }

  freeze(): void {
    this.frozen = true;
  }
}

/** Load the sources in order into the registry; a later source overrides an earlier one. */
export function loadSources(
  registry: ConfigRegistry,
  spec: ConfigProviderSpec,
  env: Record<string, string | undefined>,
): void {
  for (const source of spec.sources) {
    for (const [key, entry] of spec.schema) {
      if (source.type === 'defaults') {
        if (entry.default !== undefined) registry.set(key, entry.default, entry.sensitive);
      } else if (entry.env) {
        const value = env[source.prefix + entry.env];
        if (value !== undefined) registry.set(key, value, entry.sensitive);
      }
    }
  }
}

/** Required keys without a value, sorted (upstream lists them all in one error). */
export function missingRequired(registry: ConfigRegistry, spec: ConfigProviderSpec): string[] {
  return [...spec.schema]
    .filter(([key, e]) => e.required && !registry.has(key))
    .map(([key]) => key)
    .sort();
}

// {{config "key"}} / {{ config 'key' }}: exactly the reference form upstream expands at load time.
const CONFIG_REF = /\{\{\s*config\s+["']([^"']+)["']\s*\}\}/g;

/** A copy of `value` with every resolvable `{{config "key"}}` replaced; unknown keys are left as is. */
export function expandConfigRefs<T>(value: T, registry: ConfigRegistry): T {
  if (typeof value === 'string')
    return (
      value.includes('{{') ? value.replace(CONFIG_REF, (ref, key: string) => registry.get(key) ?? ref) : value
    ) as T;
  if (Array.isArray(value)) return value.map((v) => expandConfigRefs(v, registry)) as T;
  if (isPlainObject(value)) {
    const out: ConfigMap = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandConfigRefs(v, registry);
    return out as T;
  }
  return value;
}
