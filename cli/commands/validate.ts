// wfctl validate CONFIG...: schema + upstream rules, compiler-style "file:line:col: error: ..."
// lines, a PASS/FAIL line per file, exit 1 when any file has errors. `-o json|yaml` for machines.
import type { Command } from 'commander';
import type { ValidationResult } from '../../engine/index.ts';
import { CliError, parseOutputFormat, printStructured } from '../output.ts';

interface ValidateOptions {
  output?: string;
  strict?: boolean;
  allowNoEntryPoints?: boolean;
  quiet?: boolean;
  pluginDir?: string;
  lock?: string;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('validate workflow configs; errors as file:line:column')
    .argument('<config...>', 'config files (imports and application files are resolved relative to each)')
    .option('-o, --output <format>', 'json or yaml (default: human-readable)')
    .option('--strict', 'treat warnings as errors')
    .option('--allow-no-entry-points', 'do not warn about configs without triggers, routes or pipelines')
    .option('-q, --quiet', 'print only errors and the summary')
    .option('--plugin-dir <dir>', 'installed plugins (default: $WORKFLOW_PLUGIN_DIR or <data dir>/plugins)')
    .option('--lock <file>', 'plugin lock (default: $WORKFLOW_PLUGIN_LOCK or wfctl.lock beside the config)')
    .action(async (files: string[], opts: ValidateOptions) => {
      const format = parseOutputFormat(opts.output);
      const { formatIssue, readConfigFile, validateConfigFile } = await import('../../engine/index.ts');
      const { pluginLocations, pluginsForConfig } = await import('../app-plugins.ts');
      const results: Array<{ file: string } & ValidationResult> = [];
      for (const file of files) {
        // the plugins it requires (installed, or a local project) contribute their types
        let plugins;
        try {
          const loaded = readConfigFile(file);
          plugins = await pluginsForConfig(loaded.config, loaded, pluginLocations(opts, file));
        } catch (err) {
          const message = (err as Error).message;
          results.push({
            file,
            ok: false,
            errors: [{ file, line: 1, column: 1, where: 'requires', jsonPath: 'requires.plugins', message }],
            warnings: [],
          });
          continue;
        }
        const r = validateConfigFile(file, { plugins, allowNoEntryPoints: opts.allowNoEntryPoints });
        if (opts.strict && r.warnings.length > 0)
          results.push({ file, ok: false, errors: [...r.errors, ...r.warnings], warnings: [] });
        else results.push({ file, ...r });
      }
      const failed = results.filter((r) => !r.ok);
      if (!printStructured(format, format === 'table' ? undefined : results)) {
        for (const r of results) {
          for (const e of r.errors) process.stdout.write(formatIssue(e, 'error') + '\n');
          if (!opts.quiet) for (const w of r.warnings) process.stdout.write(formatIssue(w, 'warning') + '\n');
          const w = r.warnings.length ? `, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : '';
          process.stdout.write(
            r.ok
              ? `PASS ${r.file}${w}\n`
              : `FAIL ${r.file}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}${w}\n`,
          );
        }
      }
      if (failed.length > 0)
        throw new CliError(
          `${failed.length} of ${results.length} config${results.length === 1 ? '' : 's'} failed validation`,
          { exitCode: 1 },
        );
    });
}
