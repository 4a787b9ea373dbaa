// wfctl inspect CONFIG: what an app is made of — modules (type, dependsOn, start order),
// pipelines (steps, trigger), top-level triggers and workflow sections; `--deps` draws the
// dependency graph; `-o json|yaml` for machines.
import type { Command } from 'commander';
import { CliError, formatTable, parseOutputFormat, printStructured } from '../output.ts';

function summaryText(s: Record<string, number | string>): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show modules, dependency graph, pipelines, triggers and workflows of a config')
    .argument('<config>', 'workflow config file')
    .option('-o, --output <format>', 'json or yaml (default: human-readable)')
    .option('--deps', 'print the module dependency graph')
    .action(async (file: string, opts: { output?: string; deps?: boolean }) => {
      const format = parseOutputFormat(opts.output);
      const { configName, formatIssue, inspectConfig, readConfigFile } = await import('../../engine/index.ts');
      const loaded = readConfigFile(file);
      if (loaded.issues.length > 0) {
        for (const i of loaded.issues) process.stderr.write(formatIssue(i, 'error') + '\n');
        throw new CliError(`cannot load ${file}`, { hint: `run \`wfctl validate ${file}\`` });
      }
      const cfg = loaded.config;
      const info = inspectConfig(cfg, configName(cfg, file), loaded.files);
      if (printStructured(format, info)) return;
      const out = process.stdout;
      out.write(`app: ${info.name}\nfiles: ${info.files.join(', ')}\n\n`);
      out.write(`MODULES (${info.modules.length})\n`);
      if (info.modules.length)
        out.write(
          formatTable(
            ['name', 'type', 'depends on'],
            info.modules.map((m) => [m.name, m.type, m.dependsOn.join(', ')]),
          ),
        );
      out.write(`start order: ${info.startOrder.join(' -> ') || '(none)'}\n\n`);
      if (opts.deps) {
        out.write('DEPENDENCY GRAPH\n');
        for (const m of info.modules)
          out.write(`${m.name}${m.dependsOn.length ? ` <- ${m.dependsOn.join(', ')}` : ''}\n`);
        out.write('\n');
      }
      out.write(`PIPELINES (${info.pipelines.length})\n`);
      if (info.pipelines.length)
        out.write(
          formatTable(
            ['name', 'trigger', 'steps'],
            info.pipelines.map((p) => [
              p.name,
              p.trigger ?? '-',
              p.steps.map((s) => `${s.name}(${s.type.replace(/^step\./, '')})`).join(' > '),
            ]),
          ),
        );
      out.write(`\nTRIGGERS (${info.triggers.length})\n`);
      if (info.triggers.length)
        out.write(
          formatTable(
            ['type', 'entries'],
            info.triggers.map((t) => [t.type, t.entries]),
          ),
        );
      out.write(`\nWORKFLOWS (${info.workflows.length})\n`);
      if (info.workflows.length)
        out.write(
          formatTable(
            ['type', 'summary'],
            info.workflows.map((w) => [w.type, summaryText(w.summary)]),
          ),
        );
    });
}
