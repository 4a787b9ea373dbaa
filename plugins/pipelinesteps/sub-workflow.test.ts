// step.sub_workflow: a child pipeline run from an HTTP-triggered pipeline, with input and output
// mapping; unknown workflows, failing children and timeouts are clear step errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { rejectsWithIssue, requestJson } from '../testing/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-sub-workflow-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const build = (yaml: string) =>
  Engine.fromText(yaml, {
    plugins: [httpPlugin, pipelineStepsPlugin],
    logger: silentLogger(),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
  });

test('sub_workflow: input and output mapping over real HTTP; default result; errors', async (t) => {
  const engine = await build(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  price:
    steps:
      - { name: calc, type: step.set, config: { values: { total: "{{ mul .qty 3 }}", quote: { sku: "{{ .sku }}" } } } }
  order:
    trigger: { type: http, config: { method: POST, path: /orders } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: pricing
        type: step.sub_workflow
        config:
          workflow: price
          input_mapping: { sku: "{{ .body.sku }}", qty: "{{ .body.qty }}" }
          output_mapping: { amount: total, sku: quote.sku }
      - { name: respond, type: step.json_response, config: { body_from: steps.pricing } }
  whole:
    steps:
      - { name: child, type: step.sub_workflow, config: { workflow: "pipeline:price" } }
  fails:
    steps:
      - { name: child, type: step.sub_workflow, config: { workflow: broken } }
  broken:
    steps:
      - { name: boom, type: step.validate, config: { strategy: required_fields, required_fields: [missing] } }
  missing:
    steps:
      - { name: child, type: step.sub_workflow, config: { workflow: nowhere } }
`);
  await engine.start();
  t.after(() => engine.stop());
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  const res = await requestJson(`${url}/orders`, { method: 'POST', body: { sku: 'A-1', qty: 4 } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { amount: '12', sku: 'A-1' });
  const whole = await engine.executePipeline('whole', { sku: 'B', qty: 2 });
  assert.equal((whole.result as any).total, '6');
  assert.equal((whole.result as any).sku, 'B', "the child's data includes its input");
  await assert.rejects(
    engine.executePipeline('fails'),
    /sub_workflow step "child": child workflow "broken" failed: .*missing/,
  );
  await assert.rejects(engine.executePipeline('missing'), /sub_workflow step "child": workflow "nowhere" not found/);
  await rejectsWithIssue(
    build('pipelines:\n  p:\n    steps:\n      - { name: c, type: step.sub_workflow, config: {} }\n'),
    'pipelines.p.steps[0].config.workflow',
    /workflow/,
  );
});
