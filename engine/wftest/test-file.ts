// Upstream's wftest YAML test files (`*_test.yaml`, UPSTREAM.md section 3), parsed and checked:
//
//   config: ../workflow.yaml   |   yaml: | <inline config>
//   mocks: { steps: { step.db_query: { rows: [] } } }
//   tests:
//     <name>:
//       description: ...
//       trigger: { type: pipeline|http|http.get|get|http.post|post, name, data, method, path, headers }
//       stop_after: <step name>
//       mocks: { steps: {...} }                 (replaces the file's mock of the same step type)
//       assertions:
//         - { step: <name>, output: {...} }     (key/value pairs that must appear; JSON equality)
//         - { step: <name>, executed: true|false }
//         - { output: {...} }                   (the pipeline's output)
//         - { response: { status, body, json, json_not_empty: [...], headers } }
//       sequence: [ { name, pipeline, trigger, assertions } ]
//
// Problems carry the file and the YAML line, so a typo in a test file reads like a config error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';

export type ConfigMapLike = Record<string, unknown>;

export interface TriggerDef {
  type: string;
  name?: string;
  data?: ConfigMapLike;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
}

export interface ResponseAssert {
  status?: number;
  /** Substring of the body. */
  body?: string;
  /** Key/value pairs (nested objects compared the same way) the JSON body must contain. */
  json?: ConfigMapLike;
  /** Dotted paths whose JSON value must be present and not empty. */
  json_not_empty?: string[];
  headers?: Record<string, string>;
}

export interface Assertion {
  step?: string;
  output?: ConfigMapLike;
  executed?: boolean;
  response?: ResponseAssert;
  state?: unknown;
  /** 1-based line in the test file, for failure messages. */
  line: number;
}

export interface SequenceStep {
  name?: string;
  pipeline?: string;
  trigger?: TriggerDef;
  assertions: Assertion[];
}

export interface TestCase {
  name: string;
  description?: string;
  trigger?: TriggerDef;
  stopAfter?: string;
  mocks?: Record<string, ConfigMapLike>;
  assertions: Assertion[];
  sequence: SequenceStep[];
  state?: unknown;
  line: number;
}

export interface TestFile {
  file: string;
  /** Config file path (relative to the test file) or inline YAML. */
  config?: string;
  yaml?: string;
  mocks: Record<string, ConfigMapLike>;
  tests: TestCase[];
}

export class TestFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'TestFileError';
  }
}

const isObject = (v: unknown): v is ConfigMapLike => v !== null && typeof v === 'object' && !Array.isArray(v);

export function readTestFile(file: string): TestFile {
  return parseTestFile(readFileSync(file, 'utf8'), file);
}

export function parseTestFile(text: string, file: string): TestFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems: string[] = [];
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    problems.push(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length) throw new TestFileError(problems);
  const root = doc.toJS() as unknown;
  if (!isObject(root))
    throw new TestFileError([`${file}:1:1: a test file is a map with "config" or "yaml", and "tests"`]);
  const at = (path: Array<string | number>) => {
    const node = doc.getIn(path, true) as Node | undefined;
    return `${file}:${lineOf(node)}`;
  };
  const problem = (path: Array<string | number>, message: string) => problems.push(`${at(path)}: ${message}`);

  const known = new Set(['config', 'yaml', 'mocks', 'tests', 'plugin_dir']);
  for (const key of Object.keys(root))
    if (!known.has(key)) problem([key], `unknown key "${key}" (expected config, yaml, mocks, tests)`);
  if (typeof root.config === 'string' && typeof root.yaml === 'string')
    problem(['yaml'], '"config" and "yaml" exclude each other: keep one');
  if (typeof root.config !== 'string' && typeof root.yaml !== 'string')
    problem([], 'name the app under test: "config: path/to/workflow.yaml" or "yaml: |" with an inline config');

  const mocks = (value: unknown, path: Array<string | number>): Record<string, ConfigMapLike> => {
    if (value === undefined || value === null) return {};
    if (!isObject(value) || (value.steps !== undefined && !isObject(value.steps))) {
      problem(path, 'mocks is { steps: { <step type>: <output map> } }');
      return {};
    }
    const out: Record<string, ConfigMapLike> = {};
    for (const [type, output] of Object.entries((value.steps as ConfigMapLike | undefined) ?? {})) {
      if (!isObject(output)) problem([...path, 'steps', type], `the mock output of ${type} must be a map`);
      else out[type] = output;
    }
    return out;
  };

  const trigger = (value: unknown, path: Array<string | number>): TriggerDef | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      problem(path, 'trigger is a map: { type, name | path, data, ... }');
      return undefined;
    }
    const type = typeof value.type === 'string' ? value.type.toLowerCase() : 'pipeline';
    const kinds = ['pipeline', 'http', 'http.get', 'get', 'http.post', 'post'];
    if (!kinds.includes(type))
      problem([...path, 'type'], `unsupported trigger type "${String(value.type)}" (use ${kinds.join(', ')})`);
    if (type === 'pipeline' && typeof value.name !== 'string') problem(path, 'a pipeline trigger needs "name"');
    if (type !== 'pipeline' && typeof value.path !== 'string') problem(path, 'an http trigger needs "path"');
    if (value.data !== undefined && !isObject(value.data)) problem([...path, 'data'], 'data must be a map');
    return {
      type,
      ...(typeof value.name === 'string' ? { name: value.name } : {}),
      ...(isObject(value.data) ? { data: value.data } : {}),
      ...(typeof value.method === 'string' ? { method: value.method.toUpperCase() } : {}),
      ...(typeof value.path === 'string' ? { path: value.path } : {}),
      ...(isObject(value.headers)
        ? { headers: Object.fromEntries(Object.entries(value.headers).map(([k, v]) => [k, String(v)])) }
        : {}),
    };
  };

  const assertions = (value: unknown, path: Array<string | number>): Assertion[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problem(path, 'assertions is a list');
      return [];
    }
    return value.flatMap((a, i): Assertion[] => {
      const p = [...path, i];
      const line = lineOf(doc.getIn(p, true) as Node | undefined);
      if (!isObject(a)) {
        problem(p, 'an assertion is a map: { step, output | executed } or { response }');
        return [];
      }
      const keys = ['step', 'output', 'executed', 'response', 'state'];
      for (const k of Object.keys(a))
        if (!keys.includes(k)) problem([...p, k], `unknown assertion key "${k}" (expected ${keys.join(', ')})`);
      if (a.output !== undefined && !isObject(a.output))
        problem([...p, 'output'], 'output must be a map of expected values');
      if (a.executed !== undefined && typeof a.executed !== 'boolean')
        problem([...p, 'executed'], 'executed is true or false');
      if (a.executed !== undefined && typeof a.step !== 'string') problem(p, '"executed" needs the "step" it is about');
      const r = a.response;
      if (r !== undefined && !isObject(r))
        problem([...p, 'response'], 'response is a map: { status, body, json, headers }');
      if (isObject(r) && r.status !== undefined && typeof r.status !== 'number')
        problem([...p, 'response', 'status'], 'status is a number');
      if (isObject(r) && r.json_not_empty !== undefined && !Array.isArray(r.json_not_empty))
        problem([...p, 'response', 'json_not_empty'], 'json_not_empty is a list of dotted paths');
      return [
        {
          line,
          ...(typeof a.step === 'string' ? { step: a.step } : {}),
          ...(isObject(a.output) ? { output: a.output } : {}),
          ...(typeof a.executed === 'boolean' ? { executed: a.executed } : {}),
          ...(isObject(r) ? { response: r as ResponseAssert } : {}),
          ...(a.state !== undefined ? { state: a.state } : {}),
        },
      ];
    });
  };

  const tests: TestCase[] = [];
  if (!isObject(root.tests) || Object.keys(root.tests).length === 0)
    problem(['tests'], 'the file has no tests: add "tests: { <name>: { trigger, assertions } }"');
  else {
    for (const [name, raw] of Object.entries(root.tests)) {
      const path = ['tests', name];
      if (!isObject(raw)) {
        problem(path, `test "${name}" must be a map`);
        continue;
      }
      const keys = ['description', 'trigger', 'stop_after', 'mocks', 'assertions', 'state', 'sequence'];
      for (const k of Object.keys(raw))
        if (!keys.includes(k))
          problem([...path, k], `unknown key "${k}" in test "${name}" (expected ${keys.join(', ')})`);
      const sequence: SequenceStep[] = [];
      if (raw.sequence !== undefined) {
        if (!Array.isArray(raw.sequence))
          problem([...path, 'sequence'], 'sequence is a list of { name, pipeline | trigger, assertions }');
        else
          raw.sequence.forEach((s, i) => {
            const sp = [...path, 'sequence', i];
            if (!isObject(s)) return void problem(sp, 'a sequence step is a map');
            const t =
              s.trigger === undefined && typeof s.pipeline === 'string'
                ? { type: 'pipeline', name: s.pipeline }
                : trigger(s.trigger, [...sp, 'trigger']);
            if (!t) problem(sp, 'a sequence step needs "pipeline" or "trigger"');
            sequence.push({
              ...(typeof s.name === 'string' ? { name: s.name } : {}),
              ...(t ? { trigger: t } : {}),
              assertions: assertions(s.assertions, [...sp, 'assertions']),
            });
          });
      }
      const t = trigger(raw.trigger, [...path, 'trigger']);
      if (!t && sequence.length === 0) problem(path, `test "${name}" needs a "trigger" (or a "sequence")`);
      tests.push({
        name,
        line: lineOf(doc.getIn(path, true) as Node | undefined),
        ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
        ...(t ? { trigger: t } : {}),
        ...(typeof raw.stop_after === 'string' ? { stopAfter: raw.stop_after } : {}),
        ...(raw.mocks !== undefined ? { mocks: mocks(raw.mocks, [...path, 'mocks']) } : {}),
        assertions: assertions(raw.assertions, [...path, 'assertions']),
        sequence,
        ...(raw.state !== undefined ? { state: raw.state } : {}),
      });
    }
  }
  if (problems.length) throw new TestFileError(problems);
  return {
    file,
    ...(typeof root.config === 'string' ? { config: root.config } : {}),
    ...(typeof root.yaml === 'string' ? { yaml: root.yaml } : {}),
    mocks: mocks(root.mocks, ['mocks']),
    tests,
  };
}

/** `*_test.yaml` files under the given files and directories (sorted; node_modules and dot dirs skipped). */
export function findTestFiles(paths: string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(join(dir, entry.name));
      } else if (/_test\.ya?ml$/.test(entry.name)) out.add(join(dir, entry.name));
    }
  };
  for (const p of paths) {
    if (statSync(p).isDirectory()) walk(p);
    else out.add(p);
  }
  return [...out].sort();
}
