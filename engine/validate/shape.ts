// The config's shape against the workflow config JSON Schema (schema/), each problem told where it is
// in words (module, pipeline step, section) as well as at its line.
import { checkWorkflowConfigShape } from '../../schema/index.ts';
import type { ConfigPath } from '../contract.ts';
import { asArray, type Collector, type ConfigMap, isMap } from './collector.ts';

export function checkShape(c: Collector, cfg: ConfigMap): void {
  for (const p of checkWorkflowConfigShape(cfg)) {
    const hint =
      p.keyword === 'enum' && p.path.includes('on_error') ? 'use stop (default), skip or compensate' : undefined;
    const runTime = upstreamToleratedShape(p);
    if (runTime) c.runTimeError(runTime, p.path, describeWhere(cfg, p.path), p.message, hint);
    else c.error(p.path, describeWhere(cfg, p.path), p.message, hint, p.keyword === 'additionalProperties');
  }
}

/** Shape problems upstream's engine starts with, and what it then does; undefined for the others. */
function upstreamToleratedShape(p: { path: ConfigPath; keyword: string; message: string }): string | undefined {
  const last = p.path[p.path.length - 1];
  const inStepList = (i: number) => p.path[i] === 'steps' || p.path[i] === 'compensation';
  if (p.keyword === 'required' && typeof last === 'number' && inStepList(p.path.length - 2))
    return p.message.includes('"name"') ? 'the step runs; its output is kept under the name ""' : undefined;
  if (p.keyword !== 'enum') return undefined;
  if (last === 'templateRefs') return 'it means warn';
  if (last === 'on_error') return inStepList(p.path.length - 3) ? "the pipeline's on_error applies" : 'it means stop';
  return undefined;
}

function describeWhere(cfg: ConfigMap, path: ConfigPath): string {
  const [section, key] = path;
  if (section === 'modules' && typeof key === 'number') {
    const m = asArray(cfg.modules)[key];
    return `module ${isMap(m) && m.name !== undefined && m.name !== null ? String(m.name) : `#${key}`}`;
  }
  if (section === 'pipelines' && typeof key === 'string') {
    if (path[2] === 'steps' && typeof path[3] === 'number') {
      const p = isMap(cfg.pipelines) ? cfg.pipelines[key] : undefined;
      const s = isMap(p) ? asArray(p.steps)[path[3]] : undefined;
      return `pipeline ${key} step ${isMap(s) && typeof s.name === 'string' ? s.name : `#${path[3]}`}`;
    }
    return `pipeline ${key}`;
  }
  if (typeof section === 'string' && typeof key === 'string') return `${section}.${key}`;
  return typeof section === 'string' ? section : 'config';
}
