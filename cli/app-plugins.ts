// The plugins an app runs with: the built-in ones plus what its `requires.plugins` names, loaded from
// the install directory and checked against wfctl.lock (or built from a local `source: ./dir`), with
// premium plugins checked against the license (license/'s validator). One place, so `wfctl run`,
// `validate`, `deploy` and `plugin test` agree on what a config may use.
//
// Where things are (flags first, then the environment the engine container gets, then defaults):
//   plugin dir   --plugin-dir, WORKFLOW_PLUGIN_DIR, <data dir>/plugins (data dir: WORKFLOW_DATA_DIR or ./data)
//   lock file    --lock, WORKFLOW_PLUGIN_LOCK, wfctl.lock beside the config (or in the working directory)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EnginePlugin, LicenseGate, Logger, WorkflowConfig } from '../engine/index.ts';
import { CliError } from './output.ts';

export interface PluginLocationFlags {
  pluginDir?: string;
  lock?: string;
  dataDir?: string;
}

export interface PluginLocations {
  pluginDir: string;
  lockPath: string;
}

/** Plugin directory and lock file for a project (`configPath`: the app's config, when there is one). */
export function pluginLocations(flags: PluginLocationFlags, configPath?: string): PluginLocations {
  const dataDir = resolve(flags.dataDir ?? process.env.WORKFLOW_DATA_DIR ?? 'data');
  const pluginDir = resolve(flags.pluginDir ?? process.env.WORKFLOW_PLUGIN_DIR ?? join(dataDir, 'plugins'));
  const explicit = flags.lock ?? process.env.WORKFLOW_PLUGIN_LOCK;
  if (explicit) return { pluginDir, lockPath: resolve(explicit) };
  const besideConfig = configPath ? join(dirname(resolve(configPath)), 'wfctl.lock') : undefined;
  const lockPath = besideConfig && existsSync(besideConfig) ? besideConfig : resolve('wfctl.lock');
  return { pluginDir, lockPath };
}

/**
 * Premium plugins need a license whose features include them: the license key from
 * WORKFLOW_LICENSE_KEY, checked offline against WORKFLOW_LICENSE_PUBLIC_KEY (PEM text or a file) and,
 * with WORKFLOW_LICENSE_SERVER, online; license/'s validator decides.
 */
export const licenseGate: LicenseGate = async (plugin) => {
  const key = process.env.WORKFLOW_LICENSE_KEY;
  if (!key)
    return (
      `premium plugin "${plugin.name}" needs a license that includes it; set WORKFLOW_LICENSE_KEY (and ` +
      `WORKFLOW_LICENSE_PUBLIC_KEY)`
    );
  const { LicenseValidator, parsePublicKey } = await import('../license/index.ts');
  const keySetting = process.env.WORKFLOW_LICENSE_PUBLIC_KEY;
  let publicKey;
  try {
    publicKey = keySetting
      ? parsePublicKey(
          keySetting.includes('-----BEGIN') ? keySetting : readFileSync(keySetting, 'utf8'),
          'WORKFLOW_LICENSE_PUBLIC_KEY',
        )
      : undefined;
  } catch (err) {
    // parsePublicKey names the setting, except where node:crypto itself rejects the key's bytes
    const message = (err as Error).message;
    const named = message.includes('WORKFLOW_LICENSE_PUBLIC_KEY') ? message : `WORKFLOW_LICENSE_PUBLIC_KEY: ${message}`;
    return `premium plugin "${plugin.name}": ${named}`;
  }
  const validator = new LicenseValidator({
    key,
    ...(publicKey ? { publicKey } : {}),
    ...(process.env.WORKFLOW_LICENSE_SERVER ? { serverUrl: process.env.WORKFLOW_LICENSE_SERVER } : {}),
    refreshIntervalMs: 0,
  });
  try {
    await validator.start();
    return validator.premiumPluginProblem(plugin.name);
  } finally {
    validator.stop();
  }
};

/**
 * Built-in plugins (plus `extra`, e.g. a plugin project under test) and the ones `config` requires.
 * A problem is a CliError listing every one; `where` names the config in it.
 */
export async function pluginsForConfig(
  config: WorkflowConfig,
  where: { file: string; configDir: string },
  locations: PluginLocations,
  extra: readonly EnginePlugin[] = [],
): Promise<EnginePlugin[]> {
  const { loadRequiredPlugins, loadPluginProject, readLockFile, PluginLoadError, PluginLockError } = await import(
    '../engine/index.ts'
  );
  const { corePlugins } = await import('../plugins/index.ts');
  try {
    const builtins = [...corePlugins, ...extra];
    const required = await loadRequiredPlugins(config, {
      builtins,
      configDir: where.configDir,
      pluginDir: locations.pluginDir,
      lock: readLockFile(locations.lockPath),
      lockPath: locations.lockPath,
      licenseGate,
      loadProject: loadPluginProject,
    });
    return [...builtins, ...required];
  } catch (err) {
    if (err instanceof PluginLoadError)
      throw new CliError(`${where.file}: the plugins it requires cannot be loaded:\n  ${err.problems.join('\n  ')}`);
    if (err instanceof PluginLockError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * Install what the lock pins from `registryUrl` (the engine pod at start: the lock from the app's
 * ConfigMap, the plugin directory an emptyDir). Verification failures stop the start.
 */
export async function installLockedPlugins(
  locations: PluginLocations,
  registryUrl: string,
  logger: Logger,
): Promise<void> {
  if (!existsSync(locations.lockPath)) return;
  const { RegistryClient, installFromLock, InstallError, RegistryError } = await import('../registry-index/index.ts');
  const started = performance.now();
  try {
    const results = await installFromLock({
      registry: new RegistryClient({ baseUrl: registryUrl, token: process.env.WFCTL_REGISTRY_TOKEN }),
      registryUrl,
      ...locations,
    });
    const fetched = results.filter((r) => !r.unchanged);
    if (results.length)
      logger.info(
        {
          component: 'plugins',
          plugins: results.map((r) => `${r.name}@${r.version}`),
          fetched: fetched.length,
          ms: Math.round(performance.now() - started),
        },
        'locked plugins installed and verified',
      );
  } catch (err) {
    if (err instanceof InstallError || err instanceof RegistryError)
      throw new CliError(`cannot install the locked plugins: ${err.message}`, { hint: err.hint });
    throw err;
  }
}
