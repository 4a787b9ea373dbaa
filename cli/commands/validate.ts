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
    .action(async (files: string[], opts: ValidateOptions) => {
      const format = parseOutputFormat(opts.output);
      const { formatIssue, validateConfigFile } = await import('../../engine/index.ts');
      const { corePlugins } = await import('../../plugins/index.ts');
      const results: Array<{ file: string } & ValidationResult> = files.map((file) => {
        const r = validateConfigFile(file, { plugins: corePlugins, allowNoEntryPoints: opts.allowNoEntryPoints });
        if (opts.strict && r.warnings.length > 0)
          return { file, ok: false, errors: [...r.errors, ...r.warnings], warnings: [] };
        return { file, ...r };
      });
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
