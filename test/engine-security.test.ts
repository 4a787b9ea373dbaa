// Issue 16's engine findings: bodies sent as JSON that are malformed, too deep or not an object get
// a 400 that says why (they were dropped silently, or crashed a step with a 500), and `wfctl run
// --port N` listens on loopback unless --addr says otherwise, printing the address it bound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOverride, listeningLine } from '../cli/commands/run.ts';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'engine-security-'));
const config = join(dir, 'app.yaml');
writeFileSync(
  config,
  `name: probe
modules:
  - {name: server, type: http.server, config: {address: ":0"}}
  - {name: router, type: http.router, dependsOn: [server]}
pipelines:
  echo:
    trigger: {type: http, config: {method: POST, path: /echo}}
    steps:
      - {name: parse, type: step.request_parse, config: {parse_body: true}}
      - name: respond
        type: step.json_response
        config: {status: 200, body: {name: "{{ .body.name }}"}}
`,
);
let engine: Engine;
let base: string;
before(async () => {
  engine = await Engine.fromFile(config, { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' });
  await engine.start();
  base = `http://127.0.0.1:${engine.address()!.port}`;
});
after(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: string, type = 'application/json') =>
  fetch(`${base}/echo`, { method: 'POST', body, headers: { 'Content-Type': type } });

test('a JSON route answers 400 with the reason for malformed, too deep or non-object JSON', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"name":', /request body is not valid JSON/],
    [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nests more than 1000 levels deep/],
    [`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, /nests more than 1000 levels deep/],
    ['[1,2,3]', /request body must be a JSON object \(got an array\)/],
    ['"text"', /must be a JSON object \(got a string\)/],
  ];
  for (const [body, message] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, body.slice(0, 20));
    assert.match(((await r.json()) as { error: string }).error, message);
  }
  const ok = await post('{"name":"Ada"}');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { name: 'Ada' });
  // without a JSON Content-Type the body is read leniently, as upstream does
  assert.equal((await post('{"name":', 'text/plain')).status, 200);
  // the engine serves on
  assert.equal((await post('{"name":"Bo"}')).status, 200);
});

test('wfctl run --port N means loopback unless --addr says otherwise', () => {
  assert.equal(listenOverride({ port: '9000' }), '127.0.0.1:9000');
  assert.equal(listenOverride({ port: '9000', addr: ':8080' }), ':9000');
  assert.equal(listenOverride({ port: '9000', addr: '0.0.0.0:8080' }), '0.0.0.0:9000');
  assert.equal(listenOverride({ addr: ':8080' }), ':8080');
  assert.equal(listenOverride({}), undefined);
  assert.equal(
    listeningLine({ host: '127.0.0.1', port: 9000, bindAddress: '127.0.0.1' }),
    'listening on http://127.0.0.1:9000',
  );
  assert.equal(
    listeningLine({ host: '127.0.0.1', port: 8080, bindAddress: '0.0.0.0' }),
    'listening on http://0.0.0.0:8080 (all interfaces; from this machine: http://127.0.0.1:8080)',
  );
});

test('wfctl run --port 0 on a config that says ":0" binds 127.0.0.1 and prints it', { timeout: 60_000 }, async () => {
  const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
  const env = { ...process.env };
  delete env.WORKFLOW_ADDR;
  const child = spawn(process.execPath, [wfctl, 'run', config, '--port', '0', '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on .*\n/.exec(out);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`wfctl run exited ${code} before listening`)));
    });
    assert.match(line, /^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
});

test('steps look up fields as own properties: "constructor" is no field of {}, no key sets a prototype', async () => {
  const app = await Engine.fromText(
    `
pipelines:
  check:
    steps:
      - { name: v, type: step.validate, config: { required_fields: [constructor, toString, a.constructor] } }
  body:
    steps:
      - { name: v, type: step.validate_request_body, config: { required_fields: [constructor, valueOf] } }
  pick:
    steps:
      - name: t
        type: step.transform
        config:
          operations:
            - { type: map, config: { mappings: { data: __proto__ } } }
            - { type: extract, config: { path: polluted } }
  reach:
    steps:
      - { name: t, type: step.transform, config: { operations: [{ type: extract, config: { path: a.constructor } }] } }
`,
    { plugins: corePlugins, logger: silentLogger(), baseDir: dir },
  );
  try {
    // each of these passed: the names resolved to Object.prototype's members
    await assert.rejects(
      app.executePipeline('check', { a: {} }),
      /missing required fields: constructor, toString, a\.constructor/,
    );
    await assert.rejects(app.executePipeline('body', { body: {} }), /missing required fields: constructor, valueOf/);
    await assert.rejects(app.executePipeline('reach', { a: {} }), /path "a\.constructor" not found/);
    // a mapping to "__proto__" makes an own key, not a new prototype to inherit "polluted" from
    await assert.rejects(app.executePipeline('pick', { data: { polluted: 'yes' } }), /path "polluted" not found/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  } finally {
    await app.stop();
  }
});
