// A config with nothing that starts work (no trigger, route, subscription, job, pipeline or listening
// module) is almost always a mistake: a warning, unless it is an embeddable sub-workflow.
import type { PluginCatalog } from '../plugin-catalog.ts';
import { asArray, type Collector, type ConfigMap, isMap } from './collector.ts';

export function checkEntryPoints(c: Collector, cfg: ConfigMap, catalog: PluginCatalog): void {
  if (hasEntryPoint(cfg, catalog)) return;
  c.warn(
    [],
    'config',
    'config has no entry points (no triggers, HTTP routes, messaging subscriptions, scheduler jobs, pipelines or ' +
      'listening modules)',
    'add an entry point, or pass --allow-no-entry-points for an embeddable sub-workflow',
  );
}

function hasEntryPoint(cfg: ConfigMap, catalog: PluginCatalog): boolean {
  if (isMap(cfg.triggers) && Object.keys(cfg.triggers).length > 0) return true;
  if (isMap(cfg.pipelines) && Object.keys(cfg.pipelines).length > 0) return true;
  if (
    asArray(cfg.modules).some(
      (m) => isMap(m) && typeof m.type === 'string' && catalog.entryPointModuleTypes.has(m.type),
    )
  )
    return true;
  const wf = isMap(cfg.workflows) ? cfg.workflows : {};
  const nonEmpty = (section: unknown, key: string) => isMap(section) && asArray(section[key]).length > 0;
  return nonEmpty(wf.http, 'routes') || nonEmpty(wf.messaging, 'subscriptions') || nonEmpty(wf.scheduler, 'jobs');
}
