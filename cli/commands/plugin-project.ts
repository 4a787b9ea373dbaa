// wfctl plugin init NAME: scaffold a TypeScript plugin project (a sample step and module, its own
// unit and wftest tests, a sample app). wfctl plugin test: run wftest files in-process against a real
// engine with the project's plugin loaded (TAP, or -o json). wfctl plugin docs: Markdown reference
// from the manifest and the config schemas.
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EnginePlugin, WorkflowConfig } from '../../engine/index.ts';
import { CliError } from '../output.ts';

export function registerProjectCommands(plugin: Command): void {
  plugin
    .command('init')
    .description('scaffold a TypeScript plugin project: a sample step and module, tests, a sample app')
    .argument('<name>', 'plugin name: lower-case letters, digits and dashes')
    .option('--dir <dir>', 'parent directory', '.')
    .option('--author <author>', 'author or organisation', process.env.USER ?? 'unknown')
    .option('--description <text>', 'one-line description')
    .option('--type <type>', 'external or ui', 'external')
    .option('--tier <tier>', 'community, core or premium', 'community')
    .option('--category <category>', 'registry category', 'other')
    .action(
      async (
        name: string,
        opts: { dir: string; author: string; description?: string; type: string; tier: string; category: string },
      ) => {
        const { scaffold } = await import('../scaffold/scaffold.ts');
        const dir = resolve(opts.dir, name);
        await scaffold(opts.type === 'ui' ? 'ui-plugin' : 'plugin', dir, { ...opts, name });
        process.stdout.write(
          [
            `created plugin project ${dir}`,
            `  cd ${dir}`,
            '  wfctl plugin test                 # its tests, against a real engine',
            '  wfctl run workflow.yaml           # the sample app that uses it',
            '  wfctl keys generate               # once: your publisher key',
            '  wfctl publish --registry-git URL --registry URL --publish-token T',
            '',
          ].join('\n'),
        );
      },
    );

  plugin
    .command('test')
    .description('run wftest YAML tests (*_test.yaml) in-process against a real engine, with the plugin loaded')
    .argument('[paths...]', 'test files or directories (default: the project directory)')
    .option('--dir <dir>', 'the plugin project (its manifest.json); an app project works too', '.')
    .option('--plugin-dir <dir>', 'installed plugins (default: $WORKFLOW_PLUGIN_DIR or <data dir>/plugins)')
    .option('--lock <file>', 'plugin lock (default: $WORKFLOW_PLUGIN_LOCK or ./wfctl.lock)')
    .option('-o, --output <format>', 'tap (default) or json')
    .action(async (paths: string[], opts: { dir: string; pluginDir?: string; lock?: string; output?: string }) => {
      const json = opts.output === 'json';
      if (opts.output !== undefined && !json && opts.output !== 'tap')
        throw new CliError(`-o must be tap or json (got "${opts.output}")`);
      const engine = await import('../../engine/index.ts');
      const { pluginLocations, pluginsForConfig } = await import('../app-plugins.ts');
      const dir = resolve(opts.dir);
      const files = engine.findTestFiles(paths.length ? paths.map((p) => resolve(p)) : [dir]);
      if (files.length === 0)
        throw new CliError(`no *_test.yaml files under ${paths.join(', ') || dir}`, {
          hint: 'wftest files are named like greet_test.yaml (see test/ of a scaffolded plugin)',
        });
      const project: EnginePlugin[] = [];
      if (existsSync(join(dir, 'manifest.json'))) {
        try {
          project.push(await engine.loadPluginProject(dir));
        } catch (err) {
          throw new CliError(`the plugin in ${dir} cannot be loaded: ${(err as Error).message}`);
        }
      }
      const locations = pluginLocations({ pluginDir: opts.pluginDir, lock: opts.lock });
      const cache = new Map<string, Promise<EnginePlugin[]>>();
      const report = await engine.runTestFiles(files, {
        plugins: project,
        pluginsFor: (config: WorkflowConfig, configDir: string) => {
          const key = `${configDir}\0${JSON.stringify(config.requires ?? null)}`;
          let plugins = cache.get(key);
          if (!plugins) {
            // the project under test counts as built in: its own sample app requires it by source
            const withoutSelf = withoutRequirement(config, project[0]?.manifest.name);
            plugins = pluginsForConfig(withoutSelf, { file: configDir, configDir }, locations, project);
            cache.set(key, plugins);
          }
          return plugins;
        },
      });
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : engine.formatTap(report));
      if (!report.ok)
        throw new CliError(
          report.tests.length === 0 && report.errors.length === 0
            ? 'no tests ran'
            : `${report.failed + report.errors.length} of ${report.tests.length + report.errors.length} tests failed`,
          { exitCode: 1 },
        );
    });

  plugin
    .command('docs')
    .description('write Markdown reference docs of a plugin from its manifest and config schemas')
    .argument('[dir]', 'the plugin project', '.')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (dirArg: string, opts: { out?: string }) => {
      const dir = resolve(dirArg);
      if (!existsSync(join(dir, 'manifest.json')))
        throw new CliError(`${join(dir, 'manifest.json')} not found`, {
          hint: 'run it in a plugin project, or pass its directory',
        });
      const engine = await import('../../engine/index.ts');
      let plugin: EnginePlugin;
      try {
        plugin = await engine.loadPluginProject(dir);
      } catch (err) {
        throw new CliError(`the plugin in ${dir} cannot be loaded: ${(err as Error).message}`);
      }
      const markdown = engine.pluginDocsMarkdown(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), plugin);
      if (opts.out) {
        writeFileSync(resolve(opts.out), markdown);
        process.stdout.write(`wrote ${resolve(opts.out)}\n`);
      } else process.stdout.write(markdown);
    });
}

/** The config without a `requires.plugins` entry for `name` (already loaded from the project). */
function withoutRequirement(config: WorkflowConfig, name: string | undefined): WorkflowConfig {
  const list = config.requires?.plugins;
  if (!name || !Array.isArray(list)) return config;
  return { ...config, requires: { ...config.requires, plugins: list.filter((p) => p?.name !== name) } };
}
