// config.provider: source layering and required keys (pure), then a real app over HTTP whose module
// and step configs read {{config "key"}}, and the located errors `wfctl run` and `wfctl validate` give.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Engine, silentLogger, validateConfigText } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { requestJson, rejectsWithIssue } from '../testing/index.ts';
import {
  ConfigRegistry,
  expandConfigRefs,
  loadSources,
  missingRequired,
  parseConfigProvider,
} from './config-registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-configprovider-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (yaml: string, env: Record<string, string> = {}) =>
  Engine.fromText(yaml, {
    plugins: corePlugins,
    logger: silentLogger(),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
    env,
  });

test('sources load in order, later ones override; env prefix; required keys listed sorted', () => {
  const spec = parseConfigProvider({
    sources: [{ type: 'env', prefix: 'APP_' }, { type: 'defaults' }],
    schema: {
      region: { env: 'REGION', default: 'us-east-1' },
      port: { env: 'PORT', default: 8080 },
      token: { env: 'TOKEN', required: true, sensitive: true },
      zone: { required: true },
    },
  });
  const registry = new ConfigRegistry();
  loadSources(registry, spec, { APP_REGION: 'eu-west-1', REGION: 'ignored', APP_TOKEN: 's3cret' });
  // defaults come after env here, so the default wins where one exists
  assert.equal(registry.get('region'), 'us-east-1');
  assert.equal(registry.get('port'), '8080');
  assert.equal(registry.get('token'), 's3cret');
  assert.equal(registry.redactedValue('token'), '********');
  assert.deepEqual(missingRequired(registry, spec), ['zone']);
  assert.equal(
    expandConfigRefs('{{config \'region\'}}:{{ config "port" }}/{{config "nope"}}', registry),
    'us-east-1:8080/{{config "nope"}}',
  );
  registry.freeze();
  assert.throws(() => registry.set('x', 'y', false), /frozen/);
});

test('a real app: {{config}} in module, pipeline and step configs; run-time config function; the service', async () => {
  const engine = await build(
    `
modules:
  - name: app-config
    type: config.provider
    config:
      sources: [{ type: defaults }, { type: env }]
      schema:
        greeting: { env: WF_CP_GREETING, default: hello }
        region: { env: WF_CP_REGION, default: us-east-1, desc: deployment region }
        api_key: { env: WF_CP_API_KEY, required: true, sensitive: true }
        route: { default: /hello }
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  hello:
    trigger: { type: http, config: { method: GET, path: '{{config "route"}}' } }
    steps:
      - name: build
        type: step.set
        config:
          values:
            greeting: '{{config "greeting"}}, world'
            region: '{{ config "region" | upper }}'
            key_length: '{{ len (config "api_key") }}'
            unknown: '[{{ config "not_declared" }}]'
      - { name: respond, type: step.json_response, config: { body_from: steps.build } }
`,
    { WF_CP_REGION: 'eu-west-1', WF_CP_API_KEY: 'abcdef' },
  );
  try {
    await engine.start();
    const res = await requestJson(`http://127.0.0.1:${engine.address()!.port}/hello`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { greeting: 'hello, world', region: 'EU-WEST-1', key_length: '6', unknown: '[]' });
    const registry = engine.app.services.get<ConfigRegistry>('config.registry')!;
    assert.deepEqual(registry.keys(), ['api_key', 'greeting', 'region', 'route']);
    assert.equal(registry.redactedValue('api_key'), '********');
  } finally {
    await engine.stop();
  }
});

test('a missing required key refuses to start, located at the key, naming the env variable to set', async () => {
  const yaml = `
modules:
  - name: app-config
    type: config.provider
    config:
      sources: [{ type: defaults }, { type: env, prefix: MYAPP_ }]
      schema:
        db_dsn: { env: DB_DSN, required: true }
        api_key: { env: API_KEY, required: true }
        port: { env: PORT, default: "8080", required: true }
`;
  await assert.rejects(build(yaml), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const [issue] = err.issues;
    assert.equal(issue!.jsonPath, 'modules[0].config.schema.api_key');
    assert.match(issue!.message, /config.provider module "app-config": missing required config keys: api_key, db_dsn/);
    assert.match(issue!.hint ?? '', /set MYAPP_API_KEY/);
    assert.ok(issue!.line > 1, 'with a line number');
    return true;
  });
  const engine = await build(yaml, { MYAPP_DB_DSN: 'postgres://x', MYAPP_API_KEY: 'k' });
  await engine.stop();
});

test('bad config.provider shapes are located errors in wfctl validate and in wfctl run', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['sources: [{ type: defaults }]', 'modules[0].config.schema', /"schema" is missing/],
    ['schema: { a: { default: x } }', 'modules[0].config.sources', /"sources" is missing/],
    ['schema: { a: x }\n      sources: []', 'modules[0].config.schema.a', /schema entry "a" must be a map/],
    [
      'schema: {}\n      sources: [{ type: file }]',
      'modules[0].config.sources[0].type',
      /unsupported config source type: "file"/,
    ],
    [
      'schema: { a: { required: yes please } }\n      sources: []',
      'modules[0].config.schema.a.required',
      /true or false/,
    ],
  ];
  for (const [body, jsonPath, message] of cases) {
    const yaml = `modules:\n  - name: cfg\n    type: config.provider\n    config:\n      ${body}\n`;
    await rejectsWithIssue(build(yaml), jsonPath, message);
    const validation = validateConfigText(yaml, { plugins: corePlugins, allowNoEntryPoints: true });
    const issue = validation.errors.find((e) => e.jsonPath === jsonPath);
    assert.ok(issue, `wfctl validate reports ${jsonPath}: ${validation.errors.map((e) => e.jsonPath).join(', ')}`);
    assert.match(issue.message, message);
  }
});
