// The engine's own validator (schema + upstream rules, file:line:column) as a ConfigValidator. The
// plugin list is passed in: operator/ does not import plugins/ (the CLI hands it corePlugins).
import { formatIssue, pluginFromDeclaration, validateConfigText, type EnginePlugin } from '../../engine/index.ts';
import type { ConfigValidator } from './validator.ts';

export function engineConfigValidator(plugins: readonly EnginePlugin[]): ConfigValidator {
  return (text, file, declared = []) => {
    const loaded = new Set(plugins.map((p) => p.manifest.name));
    // Required plugins are not loaded here: their manifests declare the types the config may use.
    const all = [...plugins, ...declared.filter((d) => !loaded.has(d.name)).map(pluginFromDeclaration)];
    // Apps are often event- or schedule-driven; a config without HTTP routes is not an error here.
    const r = validateConfigText(text, { file, plugins: all, allowNoEntryPoints: true });
    return {
      ok: r.ok,
      errors: r.errors.map((e) => formatIssue(e, 'error')),
      warnings: r.warnings.map((w) => formatIssue(w, 'warning')),
    };
  };
}
