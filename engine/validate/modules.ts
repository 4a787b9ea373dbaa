// The modules section: unique names, known types (a step type here is pointed to pipelines), unknown
// or misspelled keys, each module's config as the engine will see it, dependsOn targets and cycles.
import { expandConfig } from '../env-expansion.ts';
import { orderModules } from '../module-order.ts';
import type { PluginCatalog } from '../plugin-catalog.ts';
import { asArray, type Collector, type ConfigMap, isMap, KEY_SPELLINGS, suggest } from './collector.ts';
import { checkTypeConfig } from './type-config.ts';

const MODULE_KEYS = new Set([
  'name',
  'type',
  'config',
  'dependsOn',
  'satisfies',
  'protected',
  'branches',
  'environments',
]);

export function checkModules(
  c: Collector,
  cfg: ConfigMap,
  catalog: PluginCatalog,
  env: Record<string, string | undefined>,
): void {
  const modules = asArray(cfg.modules);
  const firstByName = new Map<string, number>();
  modules.forEach((m, i) => {
    if (!isMap(m)) return;
    const name = typeof m.name === 'string' ? m.name : undefined;
    const where = `module ${name ?? `#${i}`}`;
    const type = typeof m.type === 'string' ? m.type : undefined;
    if (name !== undefined && !(type ?? '').startsWith('step.')) {
      if (firstByName.has(name)) {
        const first = c.loaded.locate(['modules', firstByName.get(name)!]);
        c.error(
          ['modules', i, 'name'],
          where,
          `duplicate module name "${name}" (first defined at ${first.file}:${first.line}:${first.column})`,
          'module names must be unique; rename one of them',
        );
      } else firstByName.set(name, i);
    }
    if (type !== undefined && !catalog.modules.has(type)) {
      let hint: string;
      if (type.startsWith('step.') && catalog.steps.has(type))
        hint = `${type} is a pipeline step type, not a module type; use it inside pipelines.<name>.steps`;
      else if (type.startsWith('step.')) hint = 'step types belong in pipelines.<name>.steps, not in modules';
      else {
        const near = suggest(type, catalog.modules.keys());
        hint = near
          ? `did you mean "${near}"?`
          : 'ensure the plugin that provides it is loaded (`wfctl schema` lists the known module types)';
      }
      c.error(['modules', i, 'type'], where, `unknown module type "${type}"`, hint);
    }
    for (const key of Object.keys(m)) {
      if (MODULE_KEYS.has(key)) continue;
      const near = KEY_SPELLINGS[key] ?? suggest(key, MODULE_KEYS);
      c.warn(
        ['modules', i, key],
        where,
        `unknown module key "${key}" is ignored`,
        near ? `did you mean "${near}"?` : 'module entries have name, type, config and dependsOn',
        true,
      );
    }
    if (type !== undefined && catalog.modules.has(type)) {
      // module config is checked as the engine will see it: ${VAR} expanded from the environment;
      // a reference that cannot be resolved here (set where the app runs) skips the value checks
      const expanded = isMap(m.config) ? expandConfig(m.config, { env: env }) : m.config;
      const unresolved = expanded !== undefined && JSON.stringify(expanded).includes('${');
      checkTypeConfig(
        c,
        catalog.moduleSchemas.get(type),
        expanded,
        ['modules', i, 'config'],
        where,
        undefined,
        unresolved,
      );
    }
  });
  const names = new Set(firstByName.keys());
  modules.forEach((m, i) => {
    if (!isMap(m)) return;
    asArray(m.dependsOn).forEach((dep, j) => {
      if (typeof dep === 'string' && dep !== '' && !names.has(dep)) {
        const near = suggest(dep, names);
        c.error(
          ['modules', i, 'dependsOn', j],
          `module ${String(m.name)}`,
          `depends on undefined module "${dep}"`,
          near ? `did you mean "${near}"?` : 'dependsOn lists names of other modules in this config',
        );
      }
    });
  });
  const order = orderModules(
    modules.filter(isMap).map((m) => ({
      name: String(m.name),
      dependsOn: asArray(m.dependsOn).filter((d): d is string => typeof d === 'string'),
    })),
  );
  if (!order.ok) {
    const i = modules.findIndex((m) => isMap(m) && m.name === order.cycle[0]);
    c.error(
      ['modules', Math.max(0, i), 'dependsOn'],
      `module ${order.cycle[0]}`,
      `module dependsOn cycle: ${order.cycle.join(' -> ')}`,
      'remove one dependsOn entry in the cycle',
    );
  }
}
