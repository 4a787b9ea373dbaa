// Runs wftest files against a real engine, in-process: each test case gets a fresh app built from the
// file's config with the given plugins, started with its HTTP server on an ephemeral loopback port.
// What the tests observe comes from wrapping the step factories (no engine hooks): every step records
// its output as it runs, a mocked step type returns its fixed output instead of running, and
// `stop_after` ends the pipeline after the named step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, formatIssue } from '../config-issue.ts';
import { displayPath, loadConfigFile, loadConfigText } from '../config-loader.ts';
import type { ConfigMap, EnginePlugin, Step, StepFactory, WorkflowConfig } from '../contract.ts';
import { Engine } from '../engine.ts';
import { silentLogger } from '../logger.ts';
import { summarize, type TestReport } from './report.ts';
import {
  readTestFile,
  TestFileError,
  type Assertion,
  type ConfigMapLike,
  type TestCase,
  type TestFile,
  type TriggerDef,
} from './test-file.ts';

export interface TestResult {
  file: string;
  name: string;
  description?: string;
  ok: boolean;
  failures: string[];
  durationMs: number;
}

export interface RunOptions {
  /** Every plugin the app may use: the built-ins plus the plugin under test. */
  plugins: readonly EnginePlugin[];
  /** The plugins for one app, when they depend on its config (its `requires.plugins`); default `plugins`. */
  pluginsFor?: (config: WorkflowConfig, configDir: string) => Promise<readonly EnginePlugin[]>;
  /** Extra environment for `${VAR}` expansion (defaults to process.env). */
  env?: Record<string, string | undefined>;
}

interface Recorded {
  pipeline: string;
  step: string;
  output: ConfigMap;
}

interface Outcome {
  output?: ConfigMap;
  error?: string;
  http?: { status: number; body: string; headers: Headers };
}

/** Read and run test files; a file that cannot be parsed is reported, and the others still run. */
export async function runTestFiles(files: string[], opts: RunOptions): Promise<TestReport> {
  const tests: TestResult[] = [];
  const errors: TestReport['errors'] = [];
  for (const path of files) {
    let file: TestFile;
    try {
      file = readTestFile(path);
    } catch (err) {
      errors.push({ file: path, problems: err instanceof TestFileError ? err.problems : [(err as Error).message] });
      continue;
    }
    tests.push(...(await runTestFile(file, opts)));
  }
  return summarize(tests, errors);
}

/** Run every test of a parsed file; a test that cannot even start is a failure, not a crash. */
export async function runTestFile(file: TestFile, opts: RunOptions): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of file.tests) {
    const started = performance.now();
    const failures = await runTestCase(file, test, opts).catch((err: Error) => [err.message]);
    results.push({
      file: displayPath(resolve(file.file)),
      name: test.name,
      ...(test.description ? { description: test.description } : {}),
      ok: failures.length === 0,
      failures,
      durationMs: Math.round(performance.now() - started),
    });
  }
  return results;
}

async function runTestCase(file: TestFile, test: TestCase, opts: RunOptions): Promise<string[]> {
  if (test.state !== undefined)
    return [
      `test "${test.name}" uses "state", which this runner does not support; seed data through the config instead`,
    ];
  const recorder: Recorded[] = [];
  const mocks = { ...file.mocks, ...(test.mocks ?? {}) };
  const dataDir = mkdtempSync(join(tmpdir(), 'wftest-'));
  const baseDir = dirname(resolve(file.file));
  let engine: Engine | undefined;
  try {
    const loaded = file.config
      ? loadConfigFile(resolve(baseDir, file.config))
      : loadConfigText(file.yaml ?? '', { file: file.file, baseDir });
    const available = opts.pluginsFor ? await opts.pluginsFor(loaded.config, loaded.configDir) : opts.plugins;
    const plugins = instrument(available, mocks, recorder, test.stopAfter);
    try {
      engine = await Engine.fromLoaded(loaded, {
        plugins,
        logger: silentLogger(),
        httpAddress: '127.0.0.1:0',
        dataDir,
        ...(opts.env ? { env: opts.env } : {}),
      });
      await engine.start();
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `the app does not build: ${formatIssue(i)}`);
      return [`the app does not start: ${(err as Error).message}`];
    }
    const failures: string[] = [];
    const steps =
      test.sequence.length > 0
        ? test.sequence
        : [{ name: undefined, trigger: test.trigger!, assertions: test.assertions }];
    for (const [i, step] of steps.entries()) {
      const label = test.sequence.length > 0 ? `sequence[${i}]${step.name ? ` (${step.name})` : ''}: ` : '';
      recorder.length = 0;
      const outcome = await fire(engine, step.trigger!);
      for (const a of step.assertions)
        failures.push(...check(a, outcome, recorder).map((f) => `${label}line ${a.line}: ${f}`));
      if (step.assertions.length === 0 && outcome.error) failures.push(`${label}the trigger failed: ${outcome.error}`);
    }
    return failures;
  } finally {
    await engine?.stop({ drainTimeoutMs: 1000 }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function fire(engine: Engine, trigger: TriggerDef): Promise<Outcome> {
  if (trigger.type === 'pipeline') {
    try {
      return { output: await engine.executePipeline(trigger.name!, (trigger.data ?? {}) as ConfigMap) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  const address = engine.address();
  if (!address) return { error: 'the app has no http.server, so an http trigger cannot reach it' };
  const post = trigger.type === 'http.post' || trigger.type === 'post';
  const method = trigger.method ?? (post ? 'POST' : 'GET');
  const hasBody = trigger.data !== undefined && method !== 'GET' && method !== 'HEAD';
  const res = await fetch(`http://127.0.0.1:${address.port}${trigger.path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(trigger.headers ?? {}) },
    ...(hasBody ? { body: JSON.stringify(trigger.data) } : {}),
  });
  const body = await res.text();
  let output: ConfigMap | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) output = parsed as ConfigMap;
  } catch {
    // not JSON: only body and status assertions apply
  }
  return { http: { status: res.status, body, headers: res.headers }, ...(output ? { output } : {}) };
}

function check(a: Assertion, outcome: Outcome, recorder: Recorded[]): string[] {
  const failures: string[] = [];
  if (a.response) {
    const r = a.response;
    const http = outcome.http;
    if (!http) return ['a response assertion needs an http trigger'];
    if (r.status !== undefined && http.status !== r.status)
      failures.push(`expected status ${r.status}, got ${http.status} (body: ${abbreviate(http.body)})`);
    if (r.body !== undefined && !http.body.includes(String(r.body)))
      failures.push(`body does not contain ${JSON.stringify(r.body)} (body: ${abbreviate(http.body)})`);
    if (r.json !== undefined || r.json_not_empty !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(http.body);
      } catch {
        return [...failures, `the body is not JSON: ${abbreviate(http.body)}`];
      }
      if (r.json !== undefined) {
        const mismatch = subsetMismatch(json, r.json, '');
        if (mismatch) failures.push(`json${mismatch}`);
      }
      for (const path of r.json_not_empty ?? []) {
        const v = dig(json, String(path));
        if (isEmpty(v)) failures.push(`json.${path} is empty or missing`);
      }
    }
    for (const [name, want] of Object.entries(r.headers ?? {})) {
      const got = http.headers.get(name);
      if (got === null || !got.includes(String(want)))
        failures.push(`header ${name}: want "${want}", got ${got === null ? 'none' : `"${got}"`}`);
    }
    return failures;
  }
  const ran = a.step === undefined ? undefined : recorder.filter((r) => r.step === a.step);
  if (a.executed !== undefined) {
    if (a.executed && !ran?.length) failures.push(`expected step "${a.step}" to run; ran: ${names(recorder)}`);
    if (!a.executed && ran?.length) failures.push(`expected step "${a.step}" not to run, but it did`);
  }
  if (a.output) {
    let actual: ConfigMap | undefined;
    if (a.step !== undefined) {
      actual = ran?.at(-1)?.output;
      if (!actual) return [...failures, `step "${a.step}" has no output (did it run? ran: ${names(recorder)})`];
    } else {
      if (outcome.error) return [...failures, `the pipeline failed: ${outcome.error}`];
      actual = outcome.output;
      if (!actual) return [...failures, 'the trigger produced no output map'];
    }
    for (const [key, want] of Object.entries(a.output)) {
      if (JSON.stringify(actual[key]) !== JSON.stringify(want))
        failures.push(
          `${a.step ? `step "${a.step}" ` : ''}output.${key}: want ${JSON.stringify(want)}, got ` +
            `${JSON.stringify(actual[key])}`,
        );
    }
  }
  return failures;
}

function names(recorder: Recorded[]): string {
  return recorder.length ? recorder.map((r) => r.step).join(', ') : '(nothing)';
}

/** Where `actual` fails to contain `expected` (maps: every key, recursively; else JSON equality). */
function subsetMismatch(actual: unknown, expected: unknown, path: string): string | undefined {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual))
      return `${path}: want an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const m = subsetMismatch((actual as ConfigMapLike)[k], v, `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? undefined
    : `${path}: want ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function dig(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.').filter(Boolean))
    v = v && typeof v === 'object' ? (v as ConfigMapLike)[part] : undefined;
  return v;
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && Object.keys(v as object).length === 0)
  );
}

function abbreviate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** The plugins with every step factory wrapped to record, and mocked step types replaced. */
function instrument(
  plugins: readonly EnginePlugin[],
  mocks: Record<string, ConfigMapLike>,
  recorder: Recorded[],
  stopAfter: string | undefined,
): EnginePlugin[] {
  const wrap =
    (factory: StepFactory): StepFactory =>
    (spec, ctx) =>
      observed(factory(spec, ctx), spec.pipeline, recorder, stopAfter);
  const mockFactory =
    (output: ConfigMapLike): StepFactory =>
    (spec) =>
      observed(
        { name: spec.name, type: spec.type, execute: async () => ({ output: structuredClone(output) as ConfigMap }) },
        spec.pipeline,
        recorder,
        stopAfter,
      );
  const unclaimed = new Set(Object.keys(mocks));
  const out = plugins.map((p): EnginePlugin => {
    if (!p.steps) return p;
    const steps: Record<string, StepFactory> = {};
    for (const [type, factory] of Object.entries(p.steps)) {
      unclaimed.delete(type);
      steps[type] = mocks[type] ? mockFactory(mocks[type]) : wrap(factory);
    }
    return { ...p, steps };
  });
  if (unclaimed.size > 0)
    out.push({
      manifest: {
        name: 'wftest-mocks',
        version: '0.0.0',
        description: 'step types mocked by a test file',
        tier: 'core',
      },
      steps: Object.fromEntries([...unclaimed].map((type) => [type, mockFactory(mocks[type]!)])),
    });
  return out;
}

function observed(step: Step, pipeline: string, recorder: Recorded[], stopAfter: string | undefined): Step {
  return {
    name: step.name,
    type: step.type,
    async execute(ctx) {
      const result = await step.execute(ctx);
      recorder.push({ pipeline, step: step.name, output: result?.output ?? {} });
      return stopAfter === step.name ? { ...result, stop: true } : result;
    },
  };
}
