import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Engine, silentLogger, ConfigError, type EnginePlugin, type HttpHandler } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from './index.ts';
import { applyOperations } from './transform.ts';

// a handler that echoes the request body, to see step.delegate replay it
const echoPlugin: EnginePlugin = {
  manifest: { name: 'echo-test', version: '1.0.0', description: 'test', tier: 'core' },
  modules: {
    'test.echo': (spec) =>
      ({
        name: spec.name,
        type: spec.type,
        handleHttp(req, res) {
          let body = '';
          req.on('data', (c) => (body += c));
          req.on('end', () => res.end(JSON.stringify({ echoed: body, method: req.method })));
        },
      }) as HttpHandler & { name: string; type: string },
  },
};
const plugins = [httpPlugin, pipelineStepsPlugin, echoPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-steps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins, logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' });

test('set, conditional (both forms), pipeline_output via executePipeline', async () => {
  const engine = await build(`
pipelines:
  grade:
    steps:
      - { name: score, type: step.set, config: { values: { score: '{{ .points }}' } } }
      - name: check
        type: step.conditional
        config: { if: '{{ gt (toInt .score) 50 }}', then: pass, else: fail }
      - { name: fail, type: step.set, config: { values: { grade: F } } }
      - { name: failed, type: step.pipeline_output, config: { values: { grade: '{{ .grade }}' } } }
      - { name: stop-fail, type: step.json_response, config: { body_from: steps.failed } }
      - { name: pass, type: step.pipeline_output, config: { source: steps.score } }
  switch:
    steps:
      - { name: pick, type: step.conditional, config: { field: kind, routes: { a: ra } } }
      - { name: ra, type: step.set, config: { values: { got: a } } }
`);
  try {
    assert.deepEqual(await engine.executePipeline('grade', { points: 80 }), { score: '80' });
    assert.deepEqual(await engine.executePipeline('grade', { points: 20 }), { grade: 'F' });
    assert.deepEqual((await engine.executePipeline('switch', { kind: 'a' })).got, 'a');
    await assert.rejects(
      engine.executePipeline('switch', { kind: 'b' }),
      /value "b" not found in routes and no default configured/,
    );
  } finally {
    await engine.stop();
  }
});

test('foreach (concurrency, collect_errors) and parallel', async () => {
  const engine = await build(`
pipelines:
  each:
    steps:
      - name: loop
        type: step.foreach
        config:
          collection: items
          item_var: it
          concurrency: 3
          error_strategy: collect_errors
          steps:
            - { name: check, type: step.validate, config: { source: it, required_fields: [id] } }
            - { name: double, type: step.set, config: { values: { id: '{{ .it.id }}', n: '{{ mul .index 2 }}' } } }
  fan:
    steps:
      - name: all
        type: step.parallel
        config:
          error_strategy: collect_errors
          steps:
            - { name: a, type: step.set, values: { x: 1 } }
            - { name: b, type: step.set, config: { values: { y: '{{ .seed }}' } } }
            - { name: c, type: step.validate, config: { required_fields: [missing] } }
`);
  try {
    const out = await engine.executePipeline('each', { items: [{ id: 'a' }, {}, { id: 'c' }] });
    assert.equal(out.count, 3);
    assert.equal(out.error_count, 1);
    assert.deepEqual(
      (out.results as Array<Record<string, unknown>>).map((r) => r.id ?? r._error),
      ['a', 'missing required fields: id', 'c'],
    );
    assert.deepEqual((out.results as Array<Record<string, unknown>>)[2]!.n, '4');
    const fan = await engine.executePipeline('fan', { seed: 'z' });
    assert.deepEqual(fan.results, { a: { x: 1 }, b: { y: 'z' } });
    assert.deepEqual(Object.keys(fan.errors as object), ['c']);
  } finally {
    await engine.stop();
  }
});

test('workflow_call: sync with input/output_mapping, async, bounded recursion', async () => {
  const engine = await build(`
pipelines:
  parent:
    steps:
      - name: call
        type: step.workflow_call
        config: { workflow: child, input: { n: '{{ .n }}' }, output_mapping: { doubled: result } }
      - { name: note, type: step.workflow_call, config: { workflow: child, mode: async } }
  child:
    steps:
      - { name: calc, type: step.set, config: { values: { result: '{{ mul .n 2 }}' } } }
  loop:
    steps:
      - { name: again, type: step.workflow_call, config: { workflow: loop } }
`);
  try {
    const out = await engine.executePipeline('parent', { n: 21 });
    assert.equal(out.doubled, '42');
    assert.deepEqual(out.started, true);
    await assert.rejects(engine.executePipeline('loop', {}), /call depth exceeds 32/);
  } finally {
    await engine.stop();
  }
});

test('transform operations and validate (json_schema)', async () => {
  assert.deepEqual(
    applyOperations(
      [
        { type: 'extract', config: { path: 'order' } },
        { type: 'map', config: { mappings: { qty: 'quantity' } } },
        { type: 'filter', config: { fields: ['quantity'] } },
      ],
      { order: { qty: 2, sku: 'x' } },
    ),
    { quantity: 2 },
  );
  assert.equal(applyOperations([{ type: 'convert', config: { from: 'json', to: 'string' } }], { a: 1 }), '{"a":1}');
  assert.throws(
    () => applyOperations([{ type: 'extract', config: { path: 'nope' } }], {}),
    /operation 0 \(extract\) failed: path "nope" not found/,
  );
  const engine = await build(`
pipelines:
  check:
    steps:
      - name: v
        type: step.validate
        config:
          strategy: json_schema
          source: body
          schema: { type: object, required: [total], properties: { total: { type: number } } }
      - name: t
        type: step.transform
        config: { source: body, operations: [{ type: filter, config: { fields: [total] } }] }
`);
  try {
    assert.deepEqual(await engine.executePipeline('check', { body: { total: 5, extra: 1 } }), {
      body: { total: 5, extra: 1 },
      valid: true,
      total: 5,
    });
    await assert.rejects(
      engine.executePipeline('check', { body: { total: 'x' } }),
      /validation failed: \/total must be number/,
    );
  } finally {
    await engine.stop();
  }
  await assert.rejects(
    build(
      'pipelines:\n  p:\n    steps:\n      - { name: t, type: step.transform, config: { operations: [{ type: ' +
        'explode }] } }\n',
    ),
    (e: unknown) => e instanceof ConfigError && /unknown operation type "explode"/.test(e.message),
  );
});

test('over HTTP: request_parse, json/raw responses, path params, webhook_verify, delegate, http_call', async () => {
  const backend = createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ from: 'backend', url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  process.env.TEST_WEBHOOK_SECRET = 'whsec';
  const engine = await build(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: echo, type: test.echo }
pipelines:
  form:
    trigger: { type: http, config: { method: POST, path: "/forms/{kind}" } }
    steps:
      - name: parse
        type: step.request_parse
        config: { format: form, merge_body: true, parse_headers: [X-Tenant], query_params: [page] }
      - name: respond
        type: step.json_response
        config: { status: 201, headers: { X-Kind: '{{ .steps.parse.path_params.kind }}' }, body_from: steps.parse }
  computed:
    trigger: { type: http, config: { method: GET, path: /computed } }
    steps:
      - { name: data, type: step.set, config: { values: { code: "418", list: [1, 2] } } }
      - name: respond
        type: step.json_response
        config:
          status_from: steps.data.code
          body: { list: { _from: steps.data.list }, json: '{{ json .steps.data.list }}' }
  text:
    trigger: { type: http, config: { method: GET, path: /text } }
    steps:
      - { name: respond, type: step.raw_response, config: { content_type: text/csv, body: "a,b\\n1,{{ .x }}" } }
  item:
    trigger: { type: http, config: { method: GET, path: "/items/{id}" } }
    steps:
      - { name: check, type: step.validate_path_param, config: { params: [id], format: positive_integer } }
      - { name: respond, type: step.json_response, config: { body: { id: '{{ .steps.check.path_params.id }}' } } }
  hook:
    trigger: { type: http, config: { method: POST, path: /hook, include_raw_body: true } }
    steps:
      - { name: verify, type: step.webhook_verify, config: { provider: github, secret_env: TEST_WEBHOOK_SECRET } }
      - { name: respond, type: step.json_response, config: { body: { ok: true, event: '{{ .body.action }}' } } }
  pass:
    trigger: { type: http, config: { method: POST, path: /pass } }
    steps:
      - { name: hand-off, type: step.delegate, config: { service: echo } }
  call:
    trigger: { type: http, config: { method: GET, path: "/call/{what}" } }
    steps:
      - { name: out, type: step.http_call, config: { url: "${target}/{{ .what }}", error_on_status: false } }
      - name: respond
        type: step.json_response
        config: { body: { status: '{{ .steps.out.status_code }}', from: '{{ .steps.out.body.from }}' } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const form = await fetch(`${url}/forms/contact?page=2&other=x`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-tenant': 't1' },
      body: 'name=Ada&topic=hi',
    });
    assert.equal(form.status, 201);
    assert.equal(form.headers.get('x-kind'), 'contact');
    assert.deepEqual(await form.json(), {
      path_params: { kind: 'contact' },
      query: { page: '2' },
      headers: { 'X-Tenant': 't1' },
      body: { name: 'Ada', topic: 'hi' },
      name: 'Ada',
      topic: 'hi',
    });
    const computed = await fetch(`${url}/computed`);
    assert.equal(computed.status, 418);
    assert.deepEqual(await computed.json(), { list: [1, 2], json: [1, 2] });
    const text = await fetch(`${url}/text?x=2`);
    assert.equal(text.headers.get('content-type'), 'text/csv');
    assert.equal(await text.text(), 'a,b\n1,2');
    assert.deepEqual(await (await fetch(`${url}/items/12`)).json(), { id: '12' });
    const bad = await fetch(`${url}/items/0`);
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { error: string }).error,
      /path parameter "id" is invalid: expected positive_integer/,
    );
    const payload = JSON.stringify({ action: 'opened' });
    const sig = 'sha256=' + createHmac('sha256', 'whsec').update(payload).digest('hex');
    assert.deepEqual(
      await (
        await fetch(`${url}/hook`, { method: 'POST', headers: { 'x-hub-signature-256': sig }, body: payload })
      ).json(),
      { ok: true, event: 'opened' },
    );
    const forged = await fetch(`${url}/hook`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': 'sha256=00' },
      body: payload,
    });
    assert.equal(forged.status, 401);
    assert.deepEqual(await (await fetch(`${url}/pass`, { method: 'POST', body: 'raw body' })).json(), {
      echoed: 'raw body',
      method: 'POST',
    });
    assert.deepEqual(await (await fetch(`${url}/call/ok`)).json(), { status: '200', from: 'backend' });
    assert.deepEqual(await (await fetch(`${url}/call/missing`)).json(), { status: '404', from: 'backend' });
  } finally {
    await engine.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  }
});

test('step config errors are located at the step config key', async () => {
  await assert.rejects(
    Engine.fromText(
      'pipelines:\n  p:\n    steps:\n      - name: s\n        type: step.set\n        config: { values: {} }\n',
      { plugins, logger: silentLogger(), file: 'x.yaml' },
    ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.issues.some(
        (i) =>
          i.jsonPath === 'pipelines.p.steps[0].config.values' && i.line === 6 && /"values" is required/.test(i.message),
      ),
  );
});
