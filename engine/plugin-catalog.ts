// The set of loaded plugins as one lookup: which factory builds a module/step/trigger type, which
// schema describes it, which hooks run. A type two plugins both register is an error unless some
// plugin lists it in `overridableTypes` (then the later plugin wins), as upstream's loader does.
import type {
  ConfigTransformHook,
  EnginePlugin,
  ModuleFactory,
  PipelineTriggerWrapper,
  StepFactory,
  TriggerFactory,
  TypeSchema,
  WiringHook,
  WorkflowHandler,
  WorkflowHandlerFactory,
} from './contract.ts';
import { PluginCompatibilityError, engineApiProblem } from './plugin-api.ts';

/** Module types upstream counts as entry points (they listen for external input). */
const DEFAULT_ENTRY_POINT_TYPES = ['http.server', 'scheduler.modular', 'messaging.broker'];

export class PluginCatalog {
  readonly plugins: readonly EnginePlugin[];
  readonly modules = new Map<string, { factory: ModuleFactory; plugin: string }>();
  readonly steps = new Map<string, { factory: StepFactory; plugin: string }>();
  readonly triggers = new Map<string, { factory: TriggerFactory; plugin: string }>();
  readonly workflowHandlers = new Map<string, { factory: WorkflowHandlerFactory; plugin: string }>();
  readonly moduleSchemas = new Map<string, TypeSchema>();
  readonly stepSchemas = new Map<string, TypeSchema>();
  readonly triggerWrappers = new Map<string, PipelineTriggerWrapper>();
  readonly wiringHooks: Array<WiringHook & { plugin: string }> = [];
  readonly configTransformHooks: Array<ConfigTransformHook & { plugin: string }> = [];
  readonly entryPointModuleTypes = new Set(DEFAULT_ENTRY_POINT_TYPES);
  /** Non-fatal notes from loading (overrides). */
  readonly notes: string[] = [];

  constructor(plugins: readonly EnginePlugin[]) {
    this.plugins = plugins;
    const overridable = new Set(plugins.flatMap((p) => p.overridableTypes ?? []));
    const names = new Map<string, number>();
    for (const p of plugins) {
      const name = p.manifest.name;
      if (names.has(name))
        throw new Error(`plugin "${name}" is loaded twice; each plugin may appear once in the plugin list`);
      names.set(name, 1);
      const incompatible = engineApiProblem(p.manifest);
      if (incompatible) throw new PluginCompatibilityError(incompatible, name);
      const add = <T>(
        map: Map<string, T & { plugin: string }>,
        kind: string,
        entries: Record<string, unknown> | undefined,
        wrap: (v: never) => T,
      ) => {
        for (const [type, value] of Object.entries(entries ?? {})) {
          const existing = map.get(type);
          if (existing) {
            if (!overridable.has(type)) {
              throw new Error(
                `${kind} type "${type}" is registered by both plugin "${existing.plugin}" and plugin ` +
                  `"${name}"; list it in overridableTypes to allow replacing it`,
              );
            }
            this.notes.push(`${kind} type "${type}" from plugin "${existing.plugin}" overridden by plugin "${name}"`);
          }
          map.set(type, { ...wrap(value as never), plugin: name });
        }
      };
      add(this.modules, 'module', p.modules, (factory: ModuleFactory) => ({ factory }));
      add(this.steps, 'step', p.steps, (factory: StepFactory) => ({ factory }));
      add(this.triggers, 'trigger', p.triggers, (factory: TriggerFactory) => ({ factory }));
      add(this.workflowHandlers, 'workflow handler', p.workflowHandlers, (factory: WorkflowHandlerFactory) => ({
        factory,
      }));
      for (const [t, s] of Object.entries(p.moduleSchemas ?? {})) this.moduleSchemas.set(t, s);
      for (const [t, s] of Object.entries(p.stepSchemas ?? {})) this.stepSchemas.set(t, s);
      for (const [t, w] of Object.entries(p.pipelineTriggerWrappers ?? {})) this.triggerWrappers.set(t, w);
      for (const h of p.wiringHooks ?? []) this.wiringHooks.push({ ...h, plugin: name });
      for (const h of p.configTransformHooks ?? []) this.configTransformHooks.push({ ...h, plugin: name });
      for (const t of p.entryPointModuleTypes ?? []) this.entryPointModuleTypes.add(t);
    }
    // higher priority first; stable for equal priorities (plugin order, then declaration order)
    this.wiringHooks.sort((a, b) => b.priority - a.priority);
    this.configTransformHooks.sort((a, b) => b.priority - a.priority);
  }

  hasPlugin(manifestName: string): boolean {
    return this.plugins.some((p) => p.manifest.name === manifestName);
  }

  plugin(manifestName: string): EnginePlugin | undefined {
    return this.plugins.find((p) => p.manifest.name === manifestName);
  }

  /** Fresh workflow handler instances, in plugin order. */
  createWorkflowHandlers(): Array<{ type: string; handler: WorkflowHandler }> {
    return [...this.workflowHandlers].map(([type, { factory }]) => ({ type, handler: factory() }));
  }

  /** Whether a `workflows.<key>` section has a handler (upstream matches by CanHandle, e.g. `http-*`). */
  handlesWorkflowType(type: string, handlers = this.createWorkflowHandlers()): boolean {
    return handlers.some((h) => h.type === type || h.handler.canHandle(type));
  }
}
