// Loading plugins from outside the engine: an installed plugin directory (manifest.json + a built ESM
// entry), a plugin project in development (TypeScript entry, bundled on the fly), and the plugins a
// config lists under `requires.plugins`.
//
//   requires.plugins[i] -> built in? -> skip (the validator checks its version)
//                       -> source: ./dir -> the project, bundled
//                       -> wfctl.lock entry -> <pluginDir>/<name> matches the lock (receipt, file hashes)
//                       -> manifest engineApi includes this engine's plugin API -> import the entry
//                       -> premium tier? -> the license gate must allow it
//
// Nothing is imported before its manifest passed the API check, so an incompatible plugin's code never
// runs; every problem is collected and reported together with what to run to fix it.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnginePlugin, PluginManifestInfo, WorkflowConfig } from './contract.ts';
import {
  PluginCompatibilityError,
  engineApiProblem,
  pluginApiVersion,
  pluginFromEntry,
  pluginManifestInfo,
  type PluginEntryModule,
} from './plugin-api.ts';
import { findLocked, installedMismatch, readReceipt, type PluginLock } from './plugin-lock.ts';
import { checkConstraint } from './version-constraint.ts';

/** The manifest fields the loader reads (the registry manifest, parsed). */
export interface PluginManifestFile extends PluginManifestInfo {
  main?: string;
  capabilities?: Record<string, unknown>;
}

/**
 * Decides whether a premium plugin may load: undefined to allow, else the reason it may not. The
 * licensing validator (license/) provides the real one; without it premium plugins are refused.
 */
export type LicenseGate = (plugin: { name: string; version: string; tier: string }) => Promise<string | undefined>;

export const noLicenseGate: LicenseGate = async (plugin) =>
  `premium plugin "${plugin.name}" needs a license that includes it, and no license is configured (set ` +
  `WORKFLOW_LICENSE_KEY)`;

export class PluginLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} plugin problems:\n  ${problems.join('\n  ')}`);
    this.name = 'PluginLoadError';
  }
}

/** manifest.json of a plugin directory, checked for what loading needs. */
export function readPluginManifest(dir: string): PluginManifestFile {
  const path = join(dir, 'manifest.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'ENOENT'
        ? `${path} not found: a plugin directory holds a manifest.json`
        : `${path} is not valid JSON (${e.message})`,
    );
  }
  for (const field of ['name', 'version', 'description', 'tier'])
    if (typeof json[field] !== 'string') throw new Error(`${path} has no "${field}"`);
  if (typeof json.engineApi !== 'string')
    throw new Error(
      `${path} states no "engineApi": add the plugin API range the entry was written against, e.g. "engineApi": ` +
        `"^${pluginApiVersion.split('.')[0]}.0"`,
    );
  const info = pluginManifestInfo(json as Parameters<typeof pluginManifestInfo>[0]);
  return {
    ...info,
    ...(typeof json.main === 'string' ? { main: json.main } : {}),
    ...(json.capabilities && typeof json.capabilities === 'object'
      ? { capabilities: json.capabilities as Record<string, unknown> }
      : {}),
  };
}

/** The entry file of a plugin directory, which must stay inside it. */
export function entryPath(dir: string, manifest: Pick<PluginManifestFile, 'main' | 'name'>): string {
  const main = manifest.main ?? 'index.js';
  const full = resolve(dir, main);
  const rel = relative(dir, full);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new Error(`plugin "${manifest.name}": main "${main}" points outside the plugin directory`);
  return full;
}

/**
 * Load an installed plugin: manifest.json, the API check, then the ESM entry. `version` (the
 * archive's sha256, say) makes the import URL unique, so an updated plugin in the same process is
 * imported afresh instead of from the module cache.
 */
export async function loadPluginDir(dir: string, opts: { version?: string } = {}): Promise<EnginePlugin> {
  const manifest = readPluginManifest(dir);
  const incompatible = engineApiProblem(manifest);
  if (incompatible) throw new PluginCompatibilityError(incompatible, manifest.name);
  const entry = entryPath(dir, manifest);
  if (!existsSync(entry)) throw new Error(`plugin "${manifest.name}": entry ${entry} not found (manifest "main")`);
  const url = pathToFileURL(entry).href + (opts.version ? `?v=${encodeURIComponent(opts.version)}` : '');
  let exports: PluginEntryModule;
  try {
    exports = (await import(url)) as PluginEntryModule;
  } catch (err) {
    throw new Error(`plugin "${manifest.name}": cannot load ${entry}: ${(err as Error).message}`);
  }
  return pluginFromEntry(manifest, exports, `plugin "${manifest.name}" (${entry})`, dir);
}

export interface RequiredPluginOptions {
  /** Plugins compiled into the engine: a requirement they satisfy needs nothing installed. */
  builtins: readonly EnginePlugin[];
  /** Where relative `source` paths are resolved (the config file's directory). */
  configDir: string;
  /** Installed plugins: <pluginDir>/<name>/ (wfctl plugin install). */
  pluginDir: string;
  lock?: PluginLock;
  /** Names the lock in messages. */
  lockPath?: string;
  licenseGate?: LicenseGate;
  /** Loads a plugin project in development (`source: ./path`); plugin-build.ts provides it. */
  loadProject?: (dir: string) => Promise<EnginePlugin>;
}

export interface RequiredPlugin {
  name: string;
  version?: string;
  source?: string;
}

/** `requires.plugins` of a config, as written (entries without a name are the validator's to report). */
export function requiredPlugins(config: WorkflowConfig): RequiredPlugin[] {
  const list = config.requires?.plugins;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (p): p is RequiredPlugin => !!p && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string',
  );
}

/** Whether a `source` names a local plugin project rather than a registry. */
export function isLocalSource(source: string | undefined): source is string {
  return (
    !!source &&
    (source.startsWith('./') ||
      source.startsWith('../') ||
      source.startsWith('/') ||
      source === '.' ||
      source.startsWith('file:'))
  );
}

function builtinNamed(builtins: readonly EnginePlugin[], name: string): EnginePlugin | undefined {
  const bare = name.replace(/^workflow-plugin-/, '');
  return builtins.find((p) => p.manifest.name === name || p.manifest.name.replace(/^workflow-plugin-/, '') === bare);
}

/** Load what `requires.plugins` names beyond the built-ins. Throws PluginLoadError listing every problem. */
export async function loadRequiredPlugins(
  config: WorkflowConfig,
  opts: RequiredPluginOptions,
): Promise<EnginePlugin[]> {
  const loaded: EnginePlugin[] = [];
  const problems: string[] = [];
  const lockName = opts.lockPath ?? 'wfctl.lock';
  for (const req of requiredPlugins(config)) {
    if (builtinNamed(opts.builtins, req.name)) continue;
    try {
      let plugin: EnginePlugin;
      if (isLocalSource(req.source)) {
        if (!opts.loadProject)
          throw new Error(`plugin "${req.name}" has a local source, which this command does not load`);
        const dir = resolve(opts.configDir, req.source.replace(/^file:/, ''));
        plugin = await opts.loadProject(dir);
        if (plugin.manifest.name !== req.name && plugin.manifest.name !== `workflow-plugin-${req.name}`)
          throw new Error(`source ${req.source} holds plugin "${plugin.manifest.name}", not "${req.name}"`);
      } else {
        const locked = opts.lock && findLocked(opts.lock, req.name);
        if (!locked) {
          problems.push(
            `plugin "${req.name}" is required but not in ${lockName}; install it: wfctl plugin install ` +
              `${req.name}${req.version ? `@${req.version}` : ''}`,
          );
          continue;
        }
        const dir = join(opts.pluginDir, locked.name);
        if (!existsSync(dir)) {
          problems.push(
            `plugin "${req.name}" (${locked.name}@${locked.version} in ${lockName}) is not installed in ` +
              `${opts.pluginDir}; run: wfctl plugin install`,
          );
          continue;
        }
        const mismatch = installedMismatch(dir, locked);
        if (mismatch) {
          problems.push(
            `plugin "${req.name}": ${mismatch}; reinstall it: wfctl plugin install ${locked.name}@${locked.version}`,
          );
          continue;
        }
        plugin = await loadPluginDir(dir, { version: readReceipt(dir)?.sha256 });
      }
      if (req.version) {
        const why = checkConstraint(plugin.manifest.version, req.version);
        if (why) {
          problems.push(
            `plugin "${req.name}" ${why}; install a matching version: wfctl plugin install ${req.name}@${req.version}`,
          );
          continue;
        }
      }
      if (plugin.manifest.tier === 'premium') {
        const refused = await (opts.licenseGate ?? noLicenseGate)(plugin.manifest);
        if (refused) {
          problems.push(refused);
          continue;
        }
      }
      loaded.push(plugin);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new PluginLoadError(problems);
  return loaded;
}
