// What an app is made of, read from its config: modules (type, dependsOn, start order), pipelines
// (trigger, steps), top-level triggers and workflow sections. `wfctl inspect` prints it; the web
// console draws it.
import type { ConfigMap, WorkflowConfig } from './contract.ts';

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
      ? String(trig.type) +
        (tcfg.path
          ? ` ${String(tcfg.method ?? 'GET').toUpperCase()} ${String(tcfg.path)}`
          : tcfg.topic
            ? ` ${String(tcfg.topic)}`
            : tcfg.cron
              ? ` ${String(tcfg.cron)}`
              : '')
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

/** The app's name as the config gives it (`name`, else `application.name`), else `fallback`. */
export function configName(config: WorkflowConfig, fallback: string): string {
  if (typeof config.name === 'string') return config.name;
  if (typeof config.application?.name === 'string') return config.application.name;
  return fallback;
}
