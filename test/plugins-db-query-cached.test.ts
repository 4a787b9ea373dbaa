// step.db_query_cached over real HTTP and a real SQLite file: the first request queries, the next
// ones with the same cache key are served from the cache (even after the row changed), another key
// misses; with `cache:` naming a cache.modular module the hits live in that module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const yaml = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: db, type: storage.sqlite, config: { dbPath: data/app.db } }
  - { name: shared, type: cache.modular }
pipelines:
  setup:
    steps:
      - name: t
        type: step.db_exec
        config:
          database: db
          query: "CREATE TABLE IF NOT EXISTS settings (k TEXT PRIMARY KEY, v TEXT, secret TEXT)"
  put:
    trigger: { type: http, config: { path: "/settings/{k}", method: PUT } }
    steps:
      - name: upsert
        type: step.db_exec
        config:
          database: db
          query: "INSERT INTO settings (k, v, secret) VALUES ($1, $2, 'x') ON CONFLICT(k) DO UPDATE SET v = excluded.v"
          params: ["{{ .k }}", "{{ .body.v }}"]
      - { name: respond, type: step.json_response, config: { status: 204 } }
  get:
    trigger: { type: http, config: { path: "/settings/{k}", method: GET } }
    steps:
      - name: lookup
        type: step.db_query_cached
        config:
          database: db
          query: "SELECT k, v, secret FROM settings WHERE k = $1"
          params: ["{{ .k }}"]
          cache_key: "setting:{{ .k }}"
          cache_ttl: 1h
          scan_fields: [k, v]
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.lookup } }
  get-shared:
    trigger: { type: http, config: { path: "/shared/{k}", method: GET } }
    steps:
      - name: lookup
        type: step.db_query_cached
        config:
          database: db
          query: "SELECT v FROM settings WHERE k = ?"
          params: ["{{ .k }}"]
          cache_key: "{{ .k }}"
          cache: shared
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.lookup } }
`;

test('step.db_query_cached serves repeated lookups from its cache', async (t) => {
  const app = await startApp(t, yaml);
  await app.engine.executePipeline('setup');
  await requestJson(`${app.url}/settings/theme`, { method: 'PUT', body: { v: 'dark' } });
  const first = await requestJson(`${app.url}/settings/theme`);
  assert.deepEqual([first.status, first.json], [200, { k: 'theme', v: 'dark', cache_hit: false }]);
  await requestJson(`${app.url}/settings/theme`, { method: 'PUT', body: { v: 'light' } });
  const second = await requestJson(`${app.url}/settings/theme`);
  assert.deepEqual(second.json, { k: 'theme', v: 'dark', cache_hit: true }, 'cached until cache_ttl');
  const other = await requestJson(`${app.url}/settings/missing`);
  assert.deepEqual(other.json, { cache_hit: false }, 'no row: no columns');

  const shared = await requestJson(`${app.url}/shared/theme`);
  assert.deepEqual(shared.json, { v: 'light', cache_hit: false });
  const cache = app.engine.app.services.get('shared') as { get(k: string): unknown };
  assert.equal(cache.get('theme'), JSON.stringify({ v: 'light' }));
  assert.deepEqual((await requestJson(`${app.url}/shared/theme`)).json, { v: 'light', cache_hit: true });
});

test('step.db_query_cached refuses templates in the SQL and requires cache_key, with the location', async (t) => {
  await assert.rejects(
    startApp(
      t,
      `
pipelines:
  p:
    steps:
      - name: q
        type: step.db_query_cached
        config: { database: db, query: "SELECT * FROM t WHERE k = '{{ .k }}'" }
`,
    ),
    (err: Error) => {
      assert.match(err.message, /workflow\.yaml:7:\d+.*query must not contain template expressions/);
      assert.match(err.message, /required config key "cache_key" is missing/);
      return true;
    },
  );
});
