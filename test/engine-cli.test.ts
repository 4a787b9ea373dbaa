// wfctl validate / inspect / schema / run as a user types them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const hello = new URL('../examples/hello/workflow.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wf-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [wfctl, ...args], {
    encoding: 'utf8',
    env: { ...process.env, WORKFLOW_CONFIG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate: PASS and exit 0; compiler-style errors and exit 1; -o json', () => {
  const ok = run('validate', hello);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^PASS .*examples\/hello\/workflow\.yaml\n$/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'modules:\n  - name: web\n    type: http.server\n    config: { address: "not-an-address" }\npipelines:\n  ' +
      'p:\n    steps:\n      - { name: s, type: step.set, config: { values: { x: "{{ .a" } } }\n',
  );
  const r = run('validate', bad, hello);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /bad\.yaml:4:24: error: address "not-an-address" is not host:port \(module web\)\n {2}hint: e\.g\. ":8080"/,
  );
  assert.match(r.stdout, /bad\.yaml:8:59: error: template syntax error: unclosed action/);
  assert.match(r.stdout, /FAIL .*bad\.yaml: 2 errors\nPASS .*hello\/workflow\.yaml\n/);
  assert.match(r.stderr, /wfctl: 1 of 2 configs failed validation/);
  const json = run('validate', bad, '-o', 'json');
  assert.equal(json.code, 1);
  const parsed = JSON.parse(json.stdout) as Array<{
    file: string;
    ok: boolean;
    errors: Array<{ line: number; column: number; where: string; jsonPath: string }>;
  }>;
  assert.equal(parsed[0]!.ok, false);
  assert.deepEqual(
    parsed[0]!.errors.map((e) => [e.line, e.jsonPath, e.where]),
    [
      [4, 'modules[0].config.address', 'module web'],
      [8, 'pipelines.p.steps[0].config.values.x', 'pipeline p step s'],
    ],
  );
  const missing = run('validate', join(dir, 'nope.yaml'));
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /nope\.yaml:0:0: error: cannot read config file: not found/);
});

test('inspect: tables by default, structure with -o json', () => {
  const human = run('inspect', hello, '--deps');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /MODULES \(4\)\nNAME +TYPE +DEPENDS ON\nserver +http\.server/);
  assert.match(human.stdout, /start order: server -> router -> health -> metrics/);
  assert.match(human.stdout, /hello +http GET \/\{\$\} +greet\(set\) > respond\(json_response\)/);
  const info = JSON.parse(run('inspect', hello, '-o', 'json').stdout) as {
    name: string;
    modules: unknown[];
    pipelines: Array<{ name: string; trigger: string }>;
  };
  assert.equal(info.name, 'hello');
  assert.equal(info.modules.length, 4);
  assert.deepEqual(
    info.pipelines.map((p) => [p.name, p.trigger]),
    [['hello', 'http GET /{$}']],
  );
});

test('schema: JSON by default, -o yaml, --output FILE; lists known types with their config keys', () => {
  const json = JSON.parse(run('schema').stdout) as {
    definitions: { module: { allOf: unknown[] } };
    'x-workflow': { moduleTypes: string[]; stepTypes: string[]; templateFunctions: string[] };
  };
  assert.ok(json['x-workflow'].moduleTypes.includes('http.server'));
  assert.ok(json['x-workflow'].stepTypes.includes('step.json_response'));
  assert.ok(json['x-workflow'].templateFunctions.includes('uuidv4'));
  assert.ok(json.definitions.module.allOf.length > 10);
  const file = join(dir, 'schema.yaml');
  const r = run('schema', '-o', 'yaml', '--output', file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal((parseYaml(readFileSync(file, 'utf8')) as { title: string }).title, 'Workflow config');
  assert.equal(run('schema', '-o', 'xml').code, 1);
});

test('run without a config explains how to give one', () => {
  const r = run('run');
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /wfctl: no config file given\n {2}hint: wfctl run path\/to\/workflow\.yaml \(or set WORKFLOW_CONFIG\)/,
  );
});
