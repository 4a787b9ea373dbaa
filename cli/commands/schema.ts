// wfctl schema: the workflow config JSON Schema (with the loaded plugins' module and step types
// and their config keys), as JSON (default) or YAML, to stdout or --output FILE.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../output.ts';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of workflow configs (known module and step types included)')
    .option('-o, --output-format <format>', 'json or yaml', 'json')
    .option('--output <file>', 'write to a file instead of stdout')
    .action(async (opts: { outputFormat: string; output?: string }) => {
      const format = opts.outputFormat;
      if (format !== 'json' && format !== 'yaml')
        throw new CliError(`unknown output format "${format}"`, { hint: 'use -o json or -o yaml' });
      const { buildConfigSchema, PluginCatalog } = await import('../../engine/index.ts');
      const { corePlugins } = await import('../../plugins/index.ts');
      const { stringify: toYaml } = await import('yaml');
      const schema = buildConfigSchema(new PluginCatalog(corePlugins));
      const text = format === 'yaml' ? toYaml(schema) : JSON.stringify(schema, null, 2) + '\n';
      if (opts.output) {
        try {
          writeFileSync(opts.output, text);
        } catch (err) {
          throw new CliError(`cannot write ${opts.output}: ${(err as Error).message}`);
        }
        process.stderr.write(`wrote ${opts.output}\n`);
      } else process.stdout.write(text);
    });
}
