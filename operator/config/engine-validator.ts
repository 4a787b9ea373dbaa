// The engine's own validator (schema + upstream rules, file:line:column) as a ConfigValidator. The
// plugin list is passed in: operator/ does not import plugins/ (the CLI hands it corePlugins).
import { formatIssue, validateConfigText, type EnginePlugin } from '../../engine/index.ts';
import type { ConfigValidator } from './validator.ts';

export function engineConfigValidator(plugins: readonly EnginePlugin[]): ConfigValidator {
  return (text, file) => {
    // Apps are often event- or schedule-driven; a config without HTTP routes is not an error here.
    const r = validateConfigText(text, { file, plugins, allowNoEntryPoints: true });
    return {
      ok: r.ok,
      errors: r.errors.map((e) => formatIssue(e, 'error')),
      warnings: r.warnings.map((w) => formatIssue(w, 'warning')),
    };
  };
}
