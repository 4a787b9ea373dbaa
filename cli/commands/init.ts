// wfctl init --template api-service|event-processor|full-stack|plugin|ui-plugin DIR: scaffold a
// project that wfctl validate, wfctl run, wfctl plugin test and wfctl deploy --dry-run accept as it is.
import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { CliError } from '../output.ts';

const templateList = 'api-service, event-processor, full-stack, plugin, ui-plugin';

export function register(program: Command): void {
  program
    .command('init')
    .description('scaffold a new project from a template: an app (API, events, full stack) or a plugin')
    .argument('[dir]', 'directory to create (must not exist or be empty)')
    .option('--template <name>', templateList, 'api-service')
    .option('--name <name>', 'app or plugin name (default: the directory name)')
    .option('--author <author>', 'author or organisation', process.env.USER ?? 'unknown')
    .option('--description <text>', 'one-line description')
    .option('--list', 'list the templates')
    .action(
      async (
        dirArg: string | undefined,
        opts: { template: string; name?: string; author: string; description?: string; list?: boolean },
      ) => {
        const { isTemplate, scaffold, templates } = await import('../scaffold/scaffold.ts');
        if (opts.list) {
          process.stdout.write(`${templates.join('\n')}\n`);
          return;
        }
        if (!isTemplate(opts.template))
          throw new CliError(`unknown template "${opts.template}"`, { hint: `templates: ${templateList}` });
        if (!dirArg) throw new CliError('say where: wfctl init --template NAME DIR');
        const dir = resolve(dirArg);
        const name = opts.name ?? basename(dir);
        const files = await scaffold(opts.template, dir, { name, author: opts.author, description: opts.description });
        const isPlugin = opts.template.endsWith('plugin');
        process.stdout.write(
          [
            `created ${opts.template} project ${dir} (${files.length} files)`,
            `  cd ${dirArg}`,
            '  wfctl validate workflow.yaml',
            '  wfctl run workflow.yaml',
            '  wfctl plugin test',
            isPlugin
              ? '  wfctl publish --registry-git URL --registry URL --publish-token T'
              : '  wfctl deploy workflow.yaml --dry-run',
            '',
          ].join('\n'),
        );
      },
    );
}
