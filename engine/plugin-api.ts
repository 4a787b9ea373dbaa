// The versioned plugin API: what a plugin's ESM entry may export and what the engine hands it.
//
// A plugin states the API range it was written against (`engineApi` in manifest.json, e.g. "^1.0");
// the engine refuses a plugin whose range does not include `pluginApiVersion`, naming both. The
// version follows semver over contract.ts: additive changes (new optional members) bump the minor,
// anything a plugin could notice bump the major. Built-in plugins state their range the same way.
//
// An entry exports its factories either as named exports (`modules`, `steps`, `triggers`, ...) or as
// a default export: the definition object, or a function of the EngineApi that returns it. The
// function form is how a plugin reaches runtime values (error classes, capabilities) without
// importing the engine: a bundled copy of contract.ts would have its own classes, and `instanceof`
// checks in the engine would miss them.
import {
  AuthProviderCap,
  ConfigValueError,
  DataTransformerCap,
  HealthCheckableCap,
  HttpHandlerCap,
  HttpMiddlewareCap,
  HttpRouterCap,
  HttpServerCap,
  JobSchedulerCap,
  MessageBrokerCap,
  MessageSubscriberCap,
  SqlDatabaseCap,
  ValidationError,
  defineCapability,
  getRequestClaims,
  type EnginePlugin,
  type PluginManifestInfo,
} from './contract.ts';
import { checkConstraint } from './version-constraint.ts';

/** The plugin API this engine implements. */
export const pluginApiVersion = '1.0.0';

/** Everything of EnginePlugin except the identity, which comes from manifest.json. */
export type PluginDefinition = Omit<EnginePlugin, 'manifest'>;

/** Runtime values a plugin may use; the argument of a default-exported plugin function. */
export interface EngineApi {
  /** pluginApiVersion of the engine that loads the plugin. */
  readonly version: string;
  readonly ConfigValueError: typeof ConfigValueError;
  readonly ValidationError: typeof ValidationError;
  readonly defineCapability: typeof defineCapability;
  readonly getRequestClaims: typeof getRequestClaims;
  readonly capabilities: {
    readonly HttpHandler: typeof HttpHandlerCap;
    readonly HttpMiddleware: typeof HttpMiddlewareCap;
    readonly HttpRouter: typeof HttpRouterCap;
    readonly HttpServer: typeof HttpServerCap;
    readonly MessageBroker: typeof MessageBrokerCap;
    readonly MessageSubscriber: typeof MessageSubscriberCap;
    readonly JobScheduler: typeof JobSchedulerCap;
    readonly SqlDatabase: typeof SqlDatabaseCap;
    readonly AuthProvider: typeof AuthProviderCap;
    readonly HealthCheckable: typeof HealthCheckableCap;
    readonly DataTransformer: typeof DataTransformerCap;
  };
}

export const engineApi: EngineApi = Object.freeze({
  version: pluginApiVersion,
  ConfigValueError,
  ValidationError,
  defineCapability,
  getRequestClaims,
  capabilities: Object.freeze({
    HttpHandler: HttpHandlerCap,
    HttpMiddleware: HttpMiddlewareCap,
    HttpRouter: HttpRouterCap,
    HttpServer: HttpServerCap,
    MessageBroker: MessageBrokerCap,
    MessageSubscriber: MessageSubscriberCap,
    JobScheduler: JobSchedulerCap,
    SqlDatabase: SqlDatabaseCap,
    AuthProvider: AuthProviderCap,
    HealthCheckable: HealthCheckableCap,
    DataTransformer: DataTransformerCap,
  }),
});

/** What the engine tells a plugin about itself: the second argument of a default-exported function. */
export interface PluginContext {
  /** The plugin's root directory: where manifest.json and its packaged files (assets/...) are. */
  readonly dir: string;
  readonly manifest: PluginManifestInfo;
}

export type PluginFunction = (api: EngineApi, self: PluginContext) => PluginDefinition | Promise<PluginDefinition>;

/** What a plugin entry module may export (see the header). */
export interface PluginEntryModule extends Partial<PluginDefinition> {
  default?: PluginDefinition | PluginFunction;
}

/** Typing helper for plugin authors: `export default definePlugin((api) => ({ steps: {...} }))`. */
export function definePlugin<T extends PluginDefinition | PluginFunction>(definition: T): T {
  return definition;
}

/** A plugin that cannot be used by this engine: why, in one sentence naming what to do. */
export class PluginCompatibilityError extends Error {
  constructor(
    message: string,
    readonly plugin: string,
  ) {
    super(message);
    this.name = 'PluginCompatibilityError';
  }
}

/**
 * Why a plugin's stated engineApi range excludes this engine, or undefined when it is compatible (or
 * states no range: the plugin loader requires one of plugins it loads from disk).
 */
export function engineApiProblem(
  plugin: Pick<PluginManifestInfo, 'name' | 'version' | 'engineApi'>,
): string | undefined {
  const range = plugin.engineApi;
  if (range === undefined) return undefined;
  const why = checkConstraint(pluginApiVersion, range);
  if (why === null) return undefined;
  if (why.startsWith('cannot parse'))
    return (
      `plugin "${plugin.name}@${plugin.version}" states engineApi "${range}", which is not a version range ` +
      `(use e.g. "^1.0")`
    );
  return (
    `plugin "${plugin.name}@${plugin.version}" needs engine plugin API ${range}, but this engine provides ` +
    `plugin API ${pluginApiVersion}; install a version of ${plugin.name} built for API ` +
    `${pluginApiVersion.split('.')[0]}.x, or an engine whose plugin API matches ${range}`
  );
}

/** The engine-facing identity of a plugin, from its manifest.json (checked: tier, engineApi). */
export function pluginManifestInfo(json: {
  name: string;
  version: string;
  description: string;
  tier: string;
  engineApi?: string;
}): PluginManifestInfo {
  if (json.tier !== 'core' && json.tier !== 'community' && json.tier !== 'premium') {
    throw new Error(`plugin manifest "${json.name}": tier must be core, community or premium, got "${json.tier}"`);
  }
  return {
    name: json.name,
    version: json.version,
    description: json.description,
    tier: json.tier,
    ...(json.engineApi !== undefined ? { engineApi: json.engineApi } : {}),
  };
}

const definitionKeys = [
  'modules',
  'steps',
  'triggers',
  'workflowHandlers',
  'moduleSchemas',
  'stepSchemas',
  'pipelineTriggerWrappers',
  'wiringHooks',
  'entryPointModuleTypes',
  'overridableTypes',
] as const satisfies ReadonlyArray<keyof PluginDefinition>;

/**
 * An EnginePlugin from a manifest and the exports of its entry module. Throws a clear error when the
 * entry exports nothing usable or registers types its manifest does not declare (the manifest is
 * what the registry indexes and what `requires` is checked against, so the two must agree).
 */
export async function pluginFromEntry(
  manifest: PluginManifestInfo & { capabilities?: Record<string, unknown> },
  exports: PluginEntryModule,
  where: string,
  dir: string,
): Promise<EnginePlugin> {
  const problem = engineApiProblem(manifest);
  if (problem) throw new PluginCompatibilityError(problem, manifest.name);
  let definition: PluginDefinition;
  const d = exports.default;
  const identity = pluginManifestInfo(manifest);
  if (typeof d === 'function') definition = await d(engineApi, Object.freeze({ dir, manifest: identity }));
  else if (d && typeof d === 'object') definition = d;
  else definition = exports;
  if (!definition || typeof definition !== 'object')
    throw new Error(`${where}: the default export must return a plugin definition object`);
  const plugin: EnginePlugin = { manifest: identity };
  let contributes = false;
  for (const key of definitionKeys) {
    const value = definition[key];
    if (value === undefined) continue;
    (plugin as unknown as Record<string, unknown>)[key] = value;
    contributes = true;
  }
  if (!contributes)
    throw new Error(
      `${where} exports no factories: export "modules", "steps" or "triggers" (or a default plugin definition)`,
    );
  for (const [kind, factories] of [
    ['modules', plugin.modules],
    ['steps', plugin.steps],
    ['triggers', plugin.triggers],
  ] as const) {
    for (const [type, factory] of Object.entries(factories ?? {}))
      if (typeof factory !== 'function') throw new Error(`${where}: ${kind}["${type}"] is not a factory function`);
  }
  checkDeclaredTypes(manifest, plugin, where);
  return plugin;
}

function checkDeclaredTypes(
  manifest: { name: string; capabilities?: Record<string, unknown> },
  plugin: EnginePlugin,
  where: string,
): void {
  const caps = manifest.capabilities ?? {};
  const lists: Array<[string, Record<string, unknown> | undefined]> = [
    ['moduleTypes', plugin.modules],
    ['stepTypes', plugin.steps],
    ['triggerTypes', plugin.triggers],
    ['workflowHandlers', plugin.workflowHandlers],
  ];
  const problems: string[] = [];
  for (const [list, registered] of lists) {
    const declared = new Set(Array.isArray(caps[list]) ? (caps[list] as string[]) : []);
    const actual = Object.keys(registered ?? {});
    const undeclared = actual.filter((t) => !declared.has(t));
    const missing = [...declared].filter((t) => !actual.includes(t));
    if (undeclared.length) problems.push(`registers ${undeclared.join(', ')} not listed in capabilities.${list}`);
    if (missing.length) problems.push(`lists ${missing.join(', ')} in capabilities.${list} but does not register it`);
  }
  if (problems.length)
    throw new Error(
      `${where}: plugin "${manifest.name}" ${problems.join('; ')}; make manifest.json and the entry agree`,
    );
}

/**
 * A plugin known only by its manifest: the types it declares, with factories that refuse to build.
 * Enough to validate a config that uses it where its code is not loaded (the operator checks apps
 * against the registry's manifests; the engine pod loads the real plugin).
 */
export function pluginFromDeclaration(manifest: {
  name: string;
  version: string;
  description?: string;
  tier?: string;
  engineApi?: string;
  capabilities?: { moduleTypes?: string[]; stepTypes?: string[]; triggerTypes?: string[]; workflowHandlers?: string[] };
}): EnginePlugin {
  const identity = pluginManifestInfo({ description: '', tier: 'community', ...manifest });
  const refuse = (kind: string, type: string) => () => {
    throw new Error(`${kind} type "${type}" of plugin "${manifest.name}" is declared, not loaded`);
  };
  const of = <T>(types: string[] | undefined, make: (type: string) => T) =>
    Object.fromEntries((types ?? []).map((t) => [t, make(t)]));
  const caps = manifest.capabilities ?? {};
  return {
    manifest: identity,
    modules: of(caps.moduleTypes, (t) => refuse('module', t)),
    steps: of(caps.stepTypes, (t) => refuse('step', t)),
    triggers: of(caps.triggerTypes, (t) => refuse('trigger', t)),
    // the validator asks handlers which workflow types they take, so these answer that much
    workflowHandlers: of(caps.workflowHandlers, (t) => () => ({
      canHandle: (type: string) => type === t,
      configure: refuse('workflow handler', t),
      execute: refuse('workflow handler', t),
    })),
  };
}
