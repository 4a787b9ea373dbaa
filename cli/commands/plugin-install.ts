// wfctl plugin install|list|update|remove: plugins from a registry in the project's plugin directory,
// pinned in wfctl.lock (name, version, sha256, signer, source). Every install verifies the archive's
// sha256 and its publisher signature against the registry's trusted keys, and fails closed; nothing
// is left half-installed (registry-index/installer.ts).
import type { Command } from 'commander';
import { CliError, parseOutputFormat, printStructured, printTable } from '../output.ts';

interface LocationFlags {
  registry?: string;
  pluginDir?: string;
  lock?: string;
  dataDir?: string;
  allowUnsigned?: boolean;
}

function withLocationOptions(cmd: Command, registry = true): Command {
  if (registry)
    cmd.option('--registry <url>', 'registry server (default: WFCTL_REGISTRY_URL or http://127.0.0.1:8090)');
  return cmd
    .option('--plugin-dir <dir>', 'where plugins are installed (default: $WORKFLOW_PLUGIN_DIR or <data dir>/plugins)')
    .option('--data-dir <dir>', 'data directory (default: $WORKFLOW_DATA_DIR or ./data)')
    .option('--lock <file>', 'the lock file (default: $WORKFLOW_PLUGIN_LOCK or ./wfctl.lock)');
}

async function installOptions(flags: LocationFlags) {
  const { pluginLocations } = await import('../app-plugins.ts');
  const { client } = await import('../registry-client.ts');
  const registry = await client(flags.registry);
  const locations = pluginLocations(flags);
  return {
    registry,
    registryUrl: flags.registry ?? process.env.WFCTL_REGISTRY_URL ?? 'http://127.0.0.1:8090',
    ...locations,
    allowUnsigned: flags.allowUnsigned === true,
  };
}

/** Install errors and registry errors as user errors (with their hints). */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  const { InstallError } = await import('../../registry-index/index.ts');
  const { call } = await import('../registry-client.ts');
  try {
    return await call(fn);
  } catch (err) {
    if (err instanceof InstallError) throw new CliError(err.message, { hint: err.hint });
    const e = err as Error;
    if (e?.name === 'PluginLockError') throw new CliError(e.message);
    throw err;
  }
}

export function registerInstallCommands(plugin: Command): void {
  withLocationOptions(
    plugin
      .command('install')
      .description(
        'install plugins from a registry (verified sha256 and signature) and pin them in wfctl.lock; without ' +
          'arguments, install what the lock pins',
      )
      .argument('[specs...]', 'NAME or NAME@RANGE, e.g. hello@^0.1.0')
      .option('--from-config <file>', "install the plugins a workflow config's requires.plugins names")
      .option('--allow-unsigned', 'accept archives without a publisher signature (their sha256 is still checked)'),
  ).action(async (specs: string[], flags: LocationFlags & { fromConfig?: string }) => {
    const reg = await import('../../registry-index/index.ts');
    const opts = await installOptions(flags);
    let targets = specs.map(reg.parsePluginSpec);
    if (flags.fromConfig) {
      const engine = await import('../../engine/index.ts');
      const { corePlugins } = await import('../../plugins/index.ts');
      const loaded = engine.readConfigFile(flags.fromConfig);
      const builtin = new Set(corePlugins.map((p) => p.manifest.name.replace(/^workflow-plugin-/, '')));
      targets = targets.concat(
        engine
          .requiredPlugins(loaded.config)
          .filter((r) => !engine.isLocalSource(r.source) && !builtin.has(r.name.replace(/^workflow-plugin-/, '')))
          .map((r) => ({ name: r.name, ...(r.version ? { range: r.version } : {}) })),
      );
    }
    if (targets.length === 0) {
      const results = await guarded(() => reg.installFromLock(opts));
      for (const r of results)
        process.stdout.write(
          `${r.unchanged ? 'up to date' : 'installed '} ` +
            `${r.name}@${r.version}${r.signer ? ` (signed by ${r.signer})` : ''}\n`,
        );
      if (results.length === 0) process.stdout.write(`${opts.lockPath} pins no plugins\n`);
      return;
    }
    for (const t of targets) {
      const r = await guarded(() => reg.installPlugin(t, opts));
      process.stdout.write(
        `installed ${r.name}@${r.version}${r.previous ? ` (was ${r.previous})` : ''} sha256 ` +
          `${r.sha256.slice(0, 12)}...${r.signer ? `, signed by ${r.signer}` : ', unsigned'}\n`,
      );
    }
    process.stdout.write(`  lock: ${opts.lockPath}\n  dir:  ${opts.pluginDir}\n`);
  });

  withLocationOptions(
    plugin
      .command('list')
      .description('plugins pinned in wfctl.lock and whether their installed copies match')
      .option('-o, --output <format>', 'json or yaml'),
    false,
  ).action(async (flags: LocationFlags & { output?: string }) => {
    const format = parseOutputFormat(flags.output);
    const { listInstalled } = await import('../../registry-index/index.ts');
    const { pluginLocations } = await import('../app-plugins.ts');
    const locations = pluginLocations(flags);
    const list = await guarded(async () => listInstalled(locations));
    if (printStructured(format, list)) return;
    if (list.length === 0) {
      process.stdout.write(`no plugins in ${locations.lockPath}\n`);
      return;
    }
    printTable(
      ['name', 'version', 'range', 'signer', 'status'],
      list.map((p) => [
        p.name,
        p.version,
        p.range ?? '',
        p.signer ?? '(unsigned)',
        p.problem ? `PROBLEM: ${p.problem}` : 'ok',
      ]),
    );
    if (list.some((p) => p.problem))
      throw new CliError('some installed plugins do not match the lock', { hint: 'wfctl plugin install' });
  });

  withLocationOptions(
    plugin
      .command('update')
      .description('re-resolve the locked ranges (all plugins, or those named) and install newer versions')
      .argument('[names...]', 'plugins to update (default: every plugin in the lock)')
      .option('--allow-unsigned', 'accept archives without a publisher signature'),
  ).action(async (names: string[], flags: LocationFlags) => {
    const { updatePlugins } = await import('../../registry-index/index.ts');
    const opts = await installOptions(flags);
    const results = await guarded(() => updatePlugins(names, opts));
    for (const r of results)
      process.stdout.write(
        r.unchanged ? `${r.name}@${r.version} is up to date\n` : `updated ${r.name} ${r.previous} -> ${r.version}\n`,
      );
  });

  withLocationOptions(
    plugin
      .command('remove')
      .description('remove an installed plugin and its lock entry')
      .argument('<name>', 'plugin name'),
    false,
  ).action(async (name: string, flags: LocationFlags) => {
    const { removePlugin } = await import('../../registry-index/index.ts');
    const { pluginLocations } = await import('../app-plugins.ts');
    const removed = await guarded(async () => removePlugin(name, pluginLocations(flags)));
    process.stdout.write(`removed ${removed.name}@${removed.version}\n`);
  });
}
