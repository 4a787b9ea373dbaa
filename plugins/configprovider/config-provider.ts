// config.provider (upstream plugins/configprovider): the application configuration registry. Its
// transform hook runs before any module is built: it layers each provider's sources (defaults, env)
// into one registry, refuses to start while a required key has no value, and expands
// `{{config "key"}}` in every other module, workflow, trigger, pipeline and the platform section.
// References it cannot resolve stay as they are and render through the `config` template function.
import {
  ConfigValueError,
  type ConfigMap,
  type ConfigTransformHook,
  type Module,
  type ModuleConfig,
  type ModuleFactory,
  type TypeSchema,
  type WorkflowConfig,
} from '../../engine/index.ts';
import { checkedBy } from '../support/index.ts';
import {
  ConfigRegistry,
  SOURCE_TYPES,
  expandConfigRefs,
  loadSources,
  missingRequired,
  parseConfigProvider,
  type ConfigProviderSpec,
} from './config-registry.ts';

/** The service name upstream registers the registry under. */
export const CONFIG_REGISTRY_SERVICE = 'config.registry';

export const configProviderSchema: TypeSchema = {
  description:
    'Application configuration registry: keys declared in schema, loaded from sources in order (later ' +
    'overrides earlier), referenced as {{config "key"}} anywhere in the config',
  configFields: [
    {
      key: 'schema',
      type: 'map',
      required: true,
      description: 'KEY: { env, default, required, sensitive, desc } for every configuration key',
    },
    {
      key: 'sources',
      type: 'array',
      required: true,
      description: `sources loaded in order, later ones override: { type: ${SOURCE_TYPES.join(' | ')}, prefix }`,
    },
  ],
  validate: checkedBy(parseConfigProvider),
};

export class ConfigProviderModule implements Module {
  readonly type = 'config.provider';
  constructor(
    readonly name: string,
    readonly registry: ConfigRegistry,
  ) {}
}

export const createConfigProvider: ModuleFactory = (spec, app) => {
  const registry = app.services.get<ConfigRegistry>(CONFIG_REGISTRY_SERVICE);
  if (!(registry instanceof ConfigRegistry))
    throw new Error('the config registry was not built; the configprovider plugin must be loaded with its hook');
  return new ConfigProviderModule(spec.name, registry);
};

function missingHint(spec: ConfigProviderSpec, missing: string[]): string {
  const prefixes = spec.sources.flatMap((s) => (s.type === 'env' ? [s.prefix] : []));
  const how = missing.map((key) => {
    const env = spec.schema.get(key)?.env;
    return env && prefixes.length > 0
      ? `${key}: set ${prefixes.map((p) => p + env).join(' or ')}`
      : `${key}: no env source reads it`;
  });
  return `${how.join('; ')}; or give the key a default (with a defaults source)`;
}

function loadProvider(
  registry: ConfigRegistry,
  module: ModuleConfig,
  index: number,
  env: Record<string, string | undefined>,
): void {
  const at = ['modules', index, 'config'];
  const where = `config.provider module "${module.name}"`;
  let spec: ConfigProviderSpec;
  try {
    spec = parseConfigProvider(module.config ?? {});
  } catch (err) {
    if (!(err instanceof ConfigValueError)) throw err;
    throw new ConfigValueError(`${where}: ${err.message}`, { path: [...at, ...err.path], hint: err.hint });
  }
  loadSources(registry, spec, env);
  const missing = missingRequired(registry, spec);
  if (missing.length > 0)
    throw new ConfigValueError(`${where}: missing required config keys: ${missing.join(', ')}`, {
      path: [...at, 'schema', missing[0]!],
      hint: missingHint(spec, missing),
    });
}

function expandApp(config: WorkflowConfig, registry: ConfigRegistry): WorkflowConfig {
  const out: WorkflowConfig = { ...config };
  if (Array.isArray(config.modules))
    out.modules = config.modules.map((m) =>
      m?.type === 'config.provider' || m?.config === undefined
        ? m
        : { ...m, config: expandConfigRefs(m.config, registry) },
    );
  for (const section of ['workflows', 'triggers', 'pipelines', 'platform'] as const)
    if (config[section] !== undefined) (out as ConfigMap)[section] = expandConfigRefs(config[section], registry);
  return out;
}

export const configProviderHook: ConfigTransformHook = {
  name: 'config-provider-expansion',
  // before any other transform hook, as upstream
  priority: 1000,
  transform(config, { env }) {
    const modules = Array.isArray(config.modules) ? config.modules : [];
    if (!modules.some((m) => m?.type === 'config.provider')) return undefined;
    const registry = new ConfigRegistry();
    modules.forEach((m, i) => {
      if (m?.type === 'config.provider') loadProvider(registry, m, i, env);
    });
    registry.freeze();
    return {
      config: expandApp(config, registry),
      configLookup: (key) => registry.get(key),
      services: { [CONFIG_REGISTRY_SERVICE]: registry },
    };
  },
};
