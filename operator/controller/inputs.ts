// The first half of a reconcile: is the spec usable? The spec itself (for clusters whose CRD did not
// validate it), the config source (inline or a ConfigMap), the plugins (spec.plugins and the config's
// requires.plugins, resolved through the registry), the engine's validation (with the resolved
// plugins' declared types).
import { parseDocument } from 'yaml';
import * as api from '../api/constants.ts';
import type { EffectiveSpec } from '../api/defaults.ts';
import { pointerToFieldPath, validateWorkflowAppObject } from '../api/schema.ts';
import type { WorkflowApp } from '../api/types.ts';
import { resolvePlugins, type PluginsOutcome } from '../plugins/resolver.ts';
import type { AppCache, ReconcileDeps } from './ports.ts';
import type { Blocker } from './status.ts';

type ConfigSource = { ok: true; text: string; file: string } | { ok: false; blocker: Blocker };

function readConfigSource(app: WorkflowApp, cache: AppCache): ConfigSource {
  const ref = app.spec.configMapRef;
  if (!ref) return { ok: true, text: app.spec.config ?? '', file: 'spec.config' };
  const key = ref.key ?? api.configKey;
  const cm = cache.configMap(app.metadata.namespace, ref.name);
  const where = `ConfigMap ${app.metadata.namespace}/${ref.name}`;
  if (!cm) {
    return {
      ok: false,
      blocker: {
        condition: 'ConfigValid',
        reason: 'ConfigMapNotFound',
        message: `${where} (spec.configMapRef) not found: create it or fix spec.configMapRef.name`,
      },
    };
  }
  const text = cm.data?.[key];
  if (text === undefined) {
    const keys = Object.keys(cm.data ?? {});
    return {
      ok: false,
      blocker: {
        condition: 'ConfigValid',
        reason: 'ConfigMapKeyNotFound',
        message: `${where} has no key "${key}" (keys: ${keys.join(', ') || 'none'}); set spec.configMapRef.key`,
      },
    };
  }
  return { ok: true, text, file: `configmap/${ref.name}/${key}` };
}

/** A spec the API server should have refused (older CRD, no schema validation): say what is wrong. */
function specBlocker(app: WorkflowApp): Blocker | undefined {
  if (app.metadata.name.length > api.maxAppNameLength || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(app.metadata.name)) {
    return {
      condition: 'Ready',
      reason: 'InvalidName',
      message:
        `name "${app.metadata.name}" cannot name the app's Service: use at most ` +
        `${api.maxAppNameLength} lower-case letters, digits and '-', starting with a letter`,
    };
  }
  const problems = validateWorkflowAppObject({ ...app, status: undefined, metadata: {} });
  if (problems.length === 0) return undefined;
  return {
    condition: 'Ready',
    reason: 'InvalidSpec',
    message: problems.map((p) => `${pointerToFieldPath(p.pointer)}: ${p.message}`).join('; '),
  };
}

export interface CheckedInputs {
  blocker?: Blocker;
  /** The engine config, once read and valid. */
  text: string;
  configNote?: string;
  plugins?: PluginsOutcome;
}

interface Requirement {
  name: string;
  version?: string;
  source?: string;
}

/** `requires.plugins` of a config text (a config that does not parse has none; validation says why). */
function configRequirements(text: string): Requirement[] {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) return [];
  const list = (doc.toJS() as { requires?: { plugins?: unknown } } | null)?.requires?.plugins;
  if (!Array.isArray(list)) return [];
  return list.filter((p): p is Requirement => !!p && typeof p === 'object' && typeof p.name === 'string');
}

const bare = (name: string) => name.replace(/^workflow-plugin-/, '');

/**
 * What the registry must resolve: spec.plugins, plus the config's requires.plugins that the engine
 * does not have built in (spec.plugins wins when both name a plugin).
 */
function pluginRequests(spec: EffectiveSpec, requires: Requirement[], builtins: ReadonlySet<string>) {
  const requests = [...spec.plugins];
  const named = new Set(requests.map((p) => bare(p.name)));
  for (const r of requires) {
    if (builtins.has(bare(r.name)) || named.has(bare(r.name))) continue;
    named.add(bare(r.name));
    requests.push({ name: r.name, version: r.version ?? '*' });
  }
  return requests;
}

/** Spec, config source, plugins and config, checked in that order; the first problem blocks the rest. */
export async function checkInputs(app: WorkflowApp, spec: EffectiveSpec, deps: ReconcileDeps): Promise<CheckedInputs> {
  const invalid = specBlocker(app);
  if (invalid) return { blocker: invalid, text: '' };
  const source = readConfigSource(app, deps.cache);
  if (!source.ok) return { blocker: source.blocker, text: '' };
  const requires = configRequirements(source.text);
  const local = requires.filter((r) => r.source && /^(\.{1,2}\/|\/|file:|\.$)/.test(r.source));
  if (local.length)
    return {
      blocker: {
        condition: 'ConfigValid',
        reason: 'LocalPluginSource',
        message:
          `${source.file}: requires.plugins ` +
          `${local.map((r) => `${r.name} (source ${r.source})`).join(', ')} names a local project, which pods ` +
          `cannot install; publish it and drop "source"`,
      },
      text: '',
    };
  const builtins = new Set([...(deps.builtinPlugins ?? [])].map(bare));
  const plugins = await resolvePlugins(pluginRequests(spec, requires, builtins), deps.plugins);
  const needsDeclarations = requires.some((r) => !builtins.has(bare(r.name)));
  if (!plugins.ok && needsDeclarations) {
    const reason = plugins.temporary ? 'RegistryUnavailable' : 'ResolutionFailed';
    return { blocker: { condition: 'PluginsResolved', reason, message: plugins.message }, text: source.text, plugins };
  }
  const check = await deps.validateConfig(source.text, source.file, plugins.ok ? plugins.declarations : []);
  if (!check.ok)
    return {
      blocker: { condition: 'ConfigValid', reason: 'InvalidConfig', message: check.errors.join('\n') },
      text: '',
    };
  const configNote =
    `config is ` + `valid${check.warnings.length ? ` (${check.warnings.length} warnings: ${check.warnings[0]})` : ''}`;
  if (!plugins.ok) {
    const reason = plugins.temporary ? 'RegistryUnavailable' : 'ResolutionFailed';
    return {
      blocker: { condition: 'PluginsResolved', reason, message: plugins.message },
      text: source.text,
      configNote,
      plugins,
    };
  }
  return { text: source.text, configNote, plugins };
}
