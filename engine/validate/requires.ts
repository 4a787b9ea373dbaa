// The requires section: each required plugin is loaded, at a version its constraint accepts.
import type { PluginCatalog } from '../plugin-catalog.ts';
import { checkConstraint } from '../version-constraint.ts';
import { asArray, type Collector, type ConfigMap, isMap, suggest } from './collector.ts';

export function checkRequires(c: Collector, cfg: ConfigMap, catalog: PluginCatalog): void {
  if (isMap(cfg.requires)) {
    asArray(cfg.requires.plugins).forEach((req, i) => {
      if (!isMap(req) || typeof req.name !== 'string') return;
      const plugin = catalog.plugin(req.name);
      const where = `requires plugin ${req.name}`;
      if (!plugin) {
        const loadedNames = catalog.plugins.map((p) => p.manifest.name);
        const near = suggest(req.name, loadedNames);
        c.error(
          ['requires', 'plugins', i, 'name'],
          where,
          `requires plugin "${req.name}", which is not loaded`,
          near ? `did you mean "${near}"?` : `loaded plugins: ${loadedNames.join(', ') || '(none)'}`,
        );
      } else if (typeof req.version === 'string') {
        const why = checkConstraint(plugin.manifest.version, req.version);
        if (why) c.error(['requires', 'plugins', i, 'version'], where, `plugin "${req.name}" ${why}`);
      }
    });
  }
}
