// The upstream example corpus as a conformance set (UPSTREAM.md section 3): the 28 core-only
// configs validate (and build), the three *-with-branching configs fail with file:line errors.
// Every type, trigger, handler and plugin a config needs must be provided by the core plugins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  Engine,
  PluginCatalog,
  readConfigFile,
  silentLogger,
  validateConfigFile,
  type ConfigMap,
} from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

export const CORE_CONFIGS = [
  'api-server-config.yaml',
  'data-pipeline-config.yaml',
  'data-sync-pipeline.yaml',
  'dependency-injection-example.yaml',
  'event-processor-config.yaml',
  'feature-flag-workflow.yaml',
  'license-validator.yaml',
  'multi-workflow-config.yaml',
  'multi-workflow/app.yaml',
  'multi-workflow/main-loop.yaml',
  'multi-workflow/queue-assignment.yaml',
  'multi-workflow/escalation.yaml',
  'multi-workflow-ecommerce/workflow-a-orders.yaml',
  'openapi-petstore.yaml',
  'openapi-jsonapi-articles.yaml',
  'order-processing-pipeline.yaml',
  'parallel-fan-out-config.yaml',
  'platform-deploy-from-template.yaml',
  'platform-microservice-template.yaml',
  'realtime-messaging-modular-config.yaml',
  'simple-workflow-config.yaml',
  'sms-chat-config.yaml',
  'state-machine-workflow.yaml',
  'test-route-pipeline.yaml',
  'ui-build-and-serve.yaml',
  'webhook-pipeline.yaml',
  'chat-platform/configs/api.yaml',
  'ecommerce-app/configs/users-products.yaml',
];

const INVALID_CONFIGS = [
  'multi-workflow-ecommerce/workflow-a-orders-with-branching.yaml',
  'multi-workflow-ecommerce/workflow-b-fulfillment-with-branching.yaml',
  'multi-workflow-ecommerce/workflow-c-notifications-with-branching.yaml',
];

// the vendored upstream corpus (test/fixtures/corpus, or WORKFLOW_CORPUS); work on a copy
const corpus = process.env.WORKFLOW_CORPUS ?? new URL('./fixtures/corpus', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'wf-corpus-'));
cpSync(join(corpus, 'workflow-examples'), work, { recursive: true });
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const catalog = new PluginCatalog(corePlugins);
const isMap = (v: unknown): v is ConfigMap => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Types and plugins a config needs that no loaded plugin provides yet. */
function missingCapabilities(file: string): string[] {
  const cfg = readConfigFile(join(work, file)).config as ConfigMap;
  const missing = new Set<string>();
  for (const m of Array.isArray(cfg.modules) ? cfg.modules : [])
    if (isMap(m) && typeof m.type === 'string' && !catalog.modules.has(m.type)) missing.add(`module ${m.type}`);
  const visitSteps = (steps: unknown) => {
    for (const s of Array.isArray(steps) ? steps : []) {
      if (!isMap(s)) continue;
      if (typeof s.type === 'string' && !catalog.steps.has(s.type)) missing.add(`step ${s.type}`);
      const c = isMap(s.config) ? s.config : s;
      visitSteps(c.steps);
      if (isMap(c.step)) visitSteps([c.step]);
    }
  };
  for (const p of Object.values(isMap(cfg.pipelines) ? cfg.pipelines : {})) if (isMap(p)) visitSteps(p.steps);
  for (const w of Object.values(isMap(cfg.workflows) ? cfg.workflows : {}))
    if (isMap(w))
      for (const r of Array.isArray(w.routes) ? w.routes : [])
        if (isMap(r)) visitSteps(isMap(r.pipeline) ? r.pipeline.steps : r.steps);
  const handlers = catalog.createWorkflowHandlers();
  for (const type of Object.keys(isMap(cfg.workflows) ? cfg.workflows : {}))
    if (!catalog.handlesWorkflowType(type, handlers)) missing.add(`workflow handler ${type}`);
  for (const type of Object.keys(isMap(cfg.triggers) ? cfg.triggers : {}))
    if (!catalog.triggers.has(type)) missing.add(`trigger ${type}`);
  const req = isMap(cfg.requires) && Array.isArray(cfg.requires.plugins) ? cfg.requires.plugins : [];
  for (const p of req)
    if (isMap(p) && typeof p.name === 'string' && !catalog.hasPlugin(p.name)) missing.add(`plugin ${p.name}`);
  return [...missing];
}

for (const file of CORE_CONFIGS) {
  test(`corpus: ${file} passes validation`, () => {
    assert.deepEqual(missingCapabilities(file), [], 'types no core plugin provides');
    const r = validateConfigFile(join(work, file), { plugins: corePlugins });
    assert.deepEqual(
      r.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`),
      [],
    );
    assert.equal(r.ok, true);
  });
  test(`corpus: ${file} builds, starts and answers on every server`, async () => {
    // every http.server on a free loopback port, so the apps can start side by side
    const loaded = readConfigFile(join(work, file));
    for (const m of loaded.config.modules ?? [])
      if (m.type === 'http.server') m.config = { ...(m.config ?? {}), address: '127.0.0.1:0' };
    const engine = await Engine.fromLoaded(loaded, {
      plugins: corePlugins,
      logger: silentLogger(),
      dataDir: join(work, '.data', file.replace(/[/.]/g, '_')),
      env: { JWT_SECRET: 'corpus-test-secret' },
    });
    try {
      await engine.start();
      for (const a of engine.addresses()) {
        const res = await fetch(`http://127.0.0.1:${a.port}/livez`);
        assert.equal(res.status, 200, `${a.module} answers`);
      }
    } finally {
      await engine.stop();
    }
  });
}

for (const file of INVALID_CONFIGS) {
  test(`corpus: ${file} fails with a file:line message`, () => {
    const r = validateConfigFile(join(work, file), { plugins: corePlugins });
    assert.equal(r.ok, false);
    const stepAsModule = r.errors.filter((e) => /unknown module type "step\.conditional"/.test(e.message));
    assert.ok(stepAsModule.length > 0, 'reports step.conditional used as a module');
    for (const e of stepAsModule) {
      assert.ok(e.file.endsWith(file), e.file);
      assert.ok(e.line > 1 && e.column > 0, `${e.line}:${e.column}`);
      assert.match(e.hint ?? '', /pipeline step type/);
    }
  });
}

test('wfctl validate prints compiler-style errors and exits 1 for an invalid corpus config', () => {
  const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
  const file = join(work, INVALID_CONFIGS[0]!);
  try {
    execFileSync(process.execPath, [wfctl, 'validate', file], { encoding: 'utf8', stdio: 'pipe' });
    assert.fail('expected exit 1');
  } catch (err) {
    const e = err as { status: number; stdout: string };
    assert.equal(e.status, 1);
    assert.match(
      e.stdout,
      new RegExp(
        String.raw`workflow-a-orders-with-branching\.yaml:\d+:\d+: error: unknown` +
          String.raw` module type "step\.conditional" \(module validate-body\)`,
      ),
    );
    assert.match(e.stdout, /FAIL .*workflow-a-orders-with-branching\.yaml: \d+ errors?/);
  }
});
