// The step.policy_* steps against the policy.mock engine, in a real app over HTTP: load, list,
// evaluate (a deny stops the pipeline), dry-run tests, and the errors of bad config and of a step
// whose engine is not a module.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, silentLogger } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { rejectsWithIssue, requestJson } from '../testing/index.ts';

const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' });

const APP = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: policies
    type: policy.mock
    config:
      policies: [{ name: base, content: "allow all readers" }]
pipelines:
  load:
    trigger: { type: http, config: { method: POST, path: /policies } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: load, type: step.policy_load, config: { engine: policies, policy_name: custom, content: "allow" } }
      - { name: respond, type: step.json_response, config: { body_from: steps.load } }
  list:
    trigger: { type: http, config: { method: GET, path: /policies } }
    steps:
      - { name: list, type: step.policy_list, config: { engine: policies } }
      - { name: respond, type: step.json_response, config: { body_from: steps.list } }
  decide:
    trigger: { type: http, config: { method: POST, path: /decide } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: eval, type: step.policy_evaluate, config: { engine: policies } }
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.eval } }
  selftest:
    trigger: { type: http, config: { method: GET, path: /selftest } }
    steps:
      - name: denies
        type: step.policy_test
        config: { engine: policies, sample_input: { action: deny }, expect_allow: false }
      - name: allows
        type: step.policy_test
        config: { engine: policies, sample_input: { action: read } }
      - { name: respond, type: step.json_response, config: { body_from: steps.allows } }
`;

test('policy steps over HTTP: load, list, evaluate with deny stopping the pipeline, dry-run tests', async () => {
  const engine = await build(APP);
  after(() => engine.stop());
  await engine.start();
  const base = `http://127.0.0.1:${engine.address()!.port}`;

  const listed = await requestJson(`${base}/policies`);
  assert.deepEqual(listed.json, { policies: [{ name: 'base', backend: 'mock' }], count: 1, engine: 'policies' });

  const allowed = await requestJson(`${base}/decide`, { method: 'POST', body: { policy_input: { action: 'read' } } });
  assert.equal(allowed.status, 200, allowed.text);
  assert.deepEqual(allowed.json, {
    allowed: true,
    reasons: ['default allow'],
    metadata: { backend: 'mock' },
    engine: 'policies',
  });

  const tested = await requestJson(`${base}/selftest`);
  assert.equal(tested.status, 200, tested.text);
  assert.equal((tested.json as { test_passed: boolean }).test_passed, true);
  assert.deepEqual((tested.json as { sample_input: unknown }).sample_input, { action: 'read' });

  // policy_content in the request overrides the configured content; a policy with "deny" then denies
  const loaded = await requestJson(`${base}/policies`, { method: 'POST', body: { policy_content: 'deny writes' } });
  assert.deepEqual(loaded.json, { loaded: true, policy_name: 'custom', engine: 'policies' });
  const after2 = await requestJson(`${base}/policies`);
  assert.equal((after2.json as { count: number }).count, 2);

  const denied = await requestJson(`${base}/decide`, { method: 'POST', body: { policy_input: { action: 'read' } } });
  // the deny stopped the pipeline before step.json_response: the answer is not the respond step's
  assert.notDeepEqual(denied.json, { allowed: false });
  const pc = await engine.executePipeline('decide', { policy_input: { action: 'read' } });
  assert.equal(pc.allowed, false);
  assert.deepEqual(pc.reasons, ['policy "custom" contains deny rule']);
  assert.equal(pc.response_status, undefined, 'json_response did not run');
  // policy_test now fails its allow expectation and stops
  const selftest = await engine.executePipeline('selftest', {});
  assert.equal(selftest.test_passed, false);
  assert.equal(selftest.expect_allow, true);
});

test('policy step config errors are located; an engine that is not a module fails the run clearly', async () => {
  const one = (step: string) => build(`pipelines:\n  p:\n    steps:\n      - ${step}\n`);
  await rejectsWithIssue(
    one('{ name: e, type: step.policy_evaluate, config: {} }'),
    'pipelines.p.steps[0].config.engine',
    /engine/,
  );
  await rejectsWithIssue(
    one('{ name: l, type: step.policy_load, config: { engine: x } }'),
    'pipelines.p.steps[0].config.policy_name',
    /policy_name/,
  );
  await rejectsWithIssue(
    one('{ name: t, type: step.policy_test, config: { engine: x, sample_input: [1] } }'),
    'pipelines.p.steps[0].config.sample_input',
    /must be a map/,
  );
  const engine = await build(
    'modules:\n  - { name: notpolicy, type: cache.modular }\npipelines:\n  p:\n    steps:\n' +
      '      - { name: l, type: step.policy_list, config: { engine: notpolicy } }\n' +
      '  q:\n    steps:\n      - { name: l, type: step.policy_list, config: { engine: missing } }\n',
  );
  after(() => engine.stop());
  await assert.rejects(engine.executePipeline('p', {}), /module "notpolicy" is not a policy engine/);
  await assert.rejects(engine.executePipeline('q', {}), /policy engine "missing" is not a module of this app/);
});
