// eventstore.service records every pipeline run (SQLite file under the data dir, kept across a
// restart) and timeline.service serves them over real HTTP with upstream's /api/v1/admin/executions
// API: the list with filters, a run's materialized timeline (steps, outputs, errors, skips), its raw
// events, and replay requests recorded as queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const yaml = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: admin-event-store, type: eventstore.service, config: { db_path: events/app.db } }
  - { name: timeline, type: timeline.service }
workflows:
  http:
    routes:
      - { method: GET, path: /api/v1/admin/executions, handler: timeline }
      - { method: GET, path: "/api/v1/admin/executions/{rest...}", handler: timeline }
      - { method: POST, path: "/api/v1/admin/executions/{rest...}", handler: timeline }
pipelines:
  greet:
    trigger: { type: http, config: { path: "/greet/{who}", method: GET } }
    steps:
      - { name: hello, type: step.set, config: { values: { message: "hello {{ .who }}" } } }
      - { name: audit, type: step.log, skip_if: "{{ eq .who \\"bob\\" }}", config: { message: "{{ .who }}" } }
      - { name: respond, type: step.json_response, config: { status: 200, body: { message: "{{ .message }}" } } }
  boom:
    trigger: { type: http, config: { path: /boom, method: POST } }
    steps:
      - { name: check, type: step.validate, config: { strategy: required_fields, required_fields: [sku] } }
`;

test('eventstore.service records runs; timeline.service lists them and shows their timelines', async (t) => {
  let app = await startApp(t, yaml);
  assert.equal((await requestJson(`${app.url}/greet/ann`)).status, 200);
  assert.equal((await requestJson(`${app.url}/greet/bob`)).status, 200);
  assert.equal((await requestJson(`${app.url}/boom`, { method: 'POST', body: {} })).status >= 400, true);
  assert.ok(existsSync(join(app.dataDir, 'events', 'app.db')), 'db_path is relative to the data dir');

  app = await app.restart(); // the runs are in SQLite
  const all = await requestJson(`${app.url}/api/v1/admin/executions`);
  assert.equal(all.status, 200);
  assert.equal(all.json.count, 3);
  assert.deepEqual(
    all.json.executions.map((e: { pipeline: string; status: string }) => `${e.pipeline}:${e.status}`),
    ['boom:failed', 'greet:completed', 'greet:completed'],
    'newest first',
  );
  const failed = await requestJson(`${app.url}/api/v1/admin/executions?status=failed`);
  assert.deepEqual([failed.json.count, failed.json.executions[0].pipeline], [1, 'boom']);
  assert.match(failed.json.executions[0].error, /sku/);
  const paged = await requestJson(`${app.url}/api/v1/admin/executions?pipeline=greet&limit=1&offset=1`);
  assert.equal(paged.json.count, 1);

  // the older greet run is ann's: every step completed, with its output
  const annId = paged.json.executions[0].execution_id;
  const timeline = await requestJson(`${app.url}/api/v1/admin/executions/${annId}/timeline`);
  assert.equal(timeline.status, 200);
  assert.deepEqual(timeline.json.input.who, 'ann');
  assert.deepEqual(
    timeline.json.steps.map((s: { step_name: string; status: string }) => `${s.step_name}:${s.status}`),
    ['hello:completed', 'audit:completed', 'respond:completed'],
  );
  assert.deepEqual(timeline.json.steps[0].output_data, { message: 'hello ann' });
  // bob's run skipped the audit step
  const bobId = all.json.executions[1].execution_id;
  const bob = await requestJson(`${app.url}/api/v1/admin/executions/${bobId}/timeline`);
  assert.deepEqual(bob.json.steps[1], { step_name: 'audit', status: 'skipped', error: 'skip_if' });

  const events = await requestJson(`${app.url}/api/v1/admin/executions/${annId}/events`);
  assert.deepEqual(
    events.json.events.map((e: { sequence_num: number }) => e.sequence_num),
    Array.from({ length: events.json.count }, (_, i) => i + 1),
  );
  assert.equal(events.json.events[0].event_type, 'execution.started');
  const started = await requestJson(`${app.url}/api/v1/admin/executions/${annId}/events?type=step.started`);
  assert.equal(started.json.count, 3);

  // replay: recorded as queued under a new execution id (upstream's module runs nothing)
  const replay = await requestJson(`${app.url}/api/v1/admin/executions/${annId}/replay`, {
    method: 'POST',
    body: { mode: 'modified' },
  });
  assert.equal(replay.status, 201);
  assert.deepEqual(
    [replay.json.original_execution_id, replay.json.type, replay.json.mode, replay.json.status],
    [annId, 'replay', 'modified', 'queued'],
  );
  const info = await requestJson(`${app.url}/api/v1/admin/executions/${replay.json.new_execution_id}/replay`);
  assert.deepEqual([info.json.is_replay, info.json.replay_events[0].data.original_execution_id], [true, annId]);

  // upstream's errors
  const bad = await requestJson(`${app.url}/api/v1/admin/executions/nope/timeline`);
  assert.deepEqual([bad.status, bad.json], [400, { error: 'invalid execution ID' }]);
  const unknown = await requestJson(`${app.url}/api/v1/admin/executions/00000000-0000-4000-8000-000000000000/timeline`);
  assert.deepEqual([unknown.status, unknown.json], [404, { error: 'execution not found' }]);
  const mode = await requestJson(`${app.url}/api/v1/admin/executions/${annId}/replay`, {
    method: 'POST',
    body: { mode: 'sideways' },
  });
  assert.deepEqual([mode.status, mode.json], [400, { error: "mode must be 'exact' or 'modified'" }]);
  assert.equal((await requestJson(`${app.url}/api/v1/admin/executions/${annId}/logs`)).status, 501);
});

test('timeline.service without an event store answers 503; a bad retention_days is a located error', async (t) => {
  const app = await startApp(
    t,
    `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: timeline, type: timeline.service }
workflows:
  http:
    routes:
      - { method: GET, path: /api/v1/admin/executions, handler: timeline }
`,
  );
  const res = await requestJson(`${app.url}/api/v1/admin/executions`);
  assert.deepEqual([res.status, res.json], [503, { error: 'no event store configured' }]);
  await assert.rejects(
    startApp(t, `modules:\n  - { name: es, type: eventstore.service, config: { retention_days: soon } }\n`),
    /workflow\.yaml:2:\d+.*"retention_days" must be a whole number/,
  );
});
