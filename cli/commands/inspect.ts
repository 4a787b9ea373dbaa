// wfctl inspect CONFIG: what an app is made of — modules (type, dependsOn, start order),
// pipelines (steps, trigger), top-level triggers and workflow sections; `--deps` draws the
// dependency graph; `-o json|yaml` for machines.
import type { Command } from 'commander';
import type { ConfigMap, WorkflowConfig } from '../../engine/index.ts';
import { CliError, formatTable, parseOutputFormat, printStructured } from '../output.ts';

const isMap = (v: unknown): v is ConfigMap => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface Inspection {
  name: string;
  files: string[];
  modules: Array<{ name: string; type: string; dependsOn: string[] }>;
  startOrder: string[];
  pipelines: Array<{ name: string; trigger?: string; steps: Array<{ name: string; type: string }> }>;
  triggers: Array<{ type: string; entries: number }>;
  workflows: Array<{ type: string; summary: Record<string, number | string> }>;
}

/** Topological start order (same rule as the engine: dependsOn first, ties by declared order). */
function startOrder(modules: Inspection['modules']): string[] {
  const names = new Set(modules.map((m) => m.name));
  const done = new Set<string>();
  const order: string[] = [];
  let progress = true;
  while (order.length < modules.length && progress) {
    progress = false;
    for (const m of modules) {
      if (done.has(m.name)) continue;
      if (m.dependsOn.every((d) => !names.has(d) || done.has(d))) {
        done.add(m.name);
        order.push(m.name);
        progress = true;
        break;
      }
    }
  }
  return order;
}

export function inspectConfig(config: WorkflowConfig, name: string, files: string[]): Inspection {
  const modules = asArray(config.modules)
    .filter(isMap)
    .map((m) => ({ name: String(m.name), type: String(m.type), dependsOn: asArray(m.dependsOn).map(String) }));
  const pipelines = Object.entries(isMap(config.pipelines) ? config.pipelines : {}).map(([pname, p]) => {
    const pc = isMap(p) ? p : {};
    const trig = isMap(pc.trigger) ? pc.trigger : undefined;
    const tcfg = trig && isMap(trig.config) ? trig.config : {};
    const trigger = trig
      ? `${String(trig.type)}${tcfg.path ? ` ${String(tcfg.method ?? 'GET').toUpperCase()} ${String(tcfg.path)}` : tcfg.topic ? ` ${String(tcfg.topic)}` : tcfg.cron ? ` ${String(tcfg.cron)}` : ''}`
      : undefined;
    return {
      name: pname,
      trigger,
      steps: asArray(pc.steps)
        .filter(isMap)
        .map((s) => ({ name: String(s.name), type: String(s.type) })),
    };
  });
  const triggers = Object.entries(isMap(config.triggers) ? config.triggers : {}).map(([type, t]) => ({
    type,
    entries: isMap(t) ? asArray(t.routes).length + asArray(t.jobs).length + asArray(t.subscriptions).length : 0,
  }));
  const workflows = Object.entries(isMap(config.workflows) ? config.workflows : {}).map(([type, w]) => {
    const summary: Record<string, number | string> = {};
    if (isMap(w)) {
      for (const [k, v] of Object.entries(w)) {
        if (Array.isArray(v)) summary[k] = v.length;
        else if (typeof v === 'string') summary[k] = v;
      }
    }
    return { type, summary };
  });
  return { name, files, modules, startOrder: startOrder(modules), pipelines, triggers, workflows };
}

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
      const { formatIssue, readConfigFile } = await import('../../engine/index.ts');
      const loaded = readConfigFile(file);
      if (loaded.issues.length > 0) {
        for (const i of loaded.issues) process.stderr.write(formatIssue(i, 'error') + '\n');
        throw new CliError(`cannot load ${file}`, { hint: `run \`wfctl validate ${file}\`` });
      }
      const cfg = loaded.config;
      const name =
        typeof cfg.name === 'string'
          ? cfg.name
          : typeof cfg.application?.name === 'string'
            ? cfg.application.name
            : file;
      const info = inspectConfig(cfg, name, loaded.files);
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
