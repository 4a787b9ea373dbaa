// What the operator adds to an engine config before it ships it, and what it learns from it.
//
// Kubernetes needs a readiness and a liveness endpoint, but the engine serves /readyz and /livez only
// when the config has a `health.checker` module (UPSTREAM.md 9.2). So when a config serves HTTP and
// has no health checker, the operator appends one (named `workflow-operator-health`, default paths);
// when it has one, the probes use that module's paths. A config that serves no HTTP at all gets no
// HTTP probes: its pods are ready once the process runs.
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';

export const injectedHealthModuleName = 'workflow-operator-health';

export interface ProbePaths {
  readyPath: string;
  livePath: string;
}

export interface PreparedEngineConfig {
  /** The YAML the engine pods run. */
  yaml: string;
  /** HTTP probe paths, or null when the config serves no HTTP. */
  probes: ProbePaths | null;
  /** True when the operator appended the health.checker module. */
  injectedHealthChecker: boolean;
}

const defaultProbes: ProbePaths = { readyPath: '/readyz', livePath: '/livez' };

const prepared = new Map<string, PreparedEngineConfig>();
const preparedLimit = 4096;

/** Memoised by text: every reconcile of an unchanged app asks again. */
export function prepareEngineConfig(text: string): PreparedEngineConfig {
  const hit = prepared.get(text);
  if (hit) return hit;
  const result = prepare(text);
  if (prepared.size >= preparedLimit) prepared.delete(prepared.keys().next().value as string);
  prepared.set(text, result);
  return result;
}

function prepare(text: string): PreparedEngineConfig {
  const doc = parseDocument(text);
  const modules = doc.errors.length === 0 ? doc.get('modules', true) : undefined;
  if (!isSeq(modules)) return { yaml: text, probes: null, injectedHealthChecker: false };

  const entries = modules.items.filter(isMap) as YAMLMap[];
  const typeOf = (m: YAMLMap) => String(m.get('type') ?? '');
  if (!entries.some((m) => typeOf(m) === 'http.server'))
    return { yaml: text, probes: null, injectedHealthChecker: false };

  const checker = entries.find((m) => typeOf(m) === 'health.checker');
  if (checker) {
    const config = checker.get('config', true);
    const path = (key: string, fallback: string) => {
      const v = isMap(config) ? config.get(key) : undefined;
      return typeof v === 'string' && v.startsWith('/') ? v : fallback;
    };
    return {
      yaml: text,
      probes: {
        readyPath: path('readyPath', defaultProbes.readyPath),
        livePath: path('livePath', defaultProbes.livePath),
      },
      injectedHealthChecker: false,
    };
  }
  modules.add(doc.createNode({ name: injectedHealthModuleName, type: 'health.checker' }));
  return { yaml: doc.toString(), probes: { ...defaultProbes }, injectedHealthChecker: true };
}
